import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/react";
import { I18nProvider } from "../i18n/i18n";
import { ListingCards } from "./ListingCard";
import type { Listing } from "./logic";

const text = "😍 Vends Omega Speedmaster 6 500";

function listing(fields: Partial<Listing>): Listing {
  return {
    conversation_id: "c1",
    message_id: "wamid.1",
    index: 0,
    account_id: "111",
    contact_id: "33600000001",
    direction: "inbound",
    type: "sale",
    confidence: 0.9,
    currency_implied: false,
    spans: {},
    extractor_version: 1,
    method: "rules",
    written_at: "2026-11-30T10:00:00Z",
    ...fields,
  };
}

function show(listings: Listing[], onHighlight = vi.fn()) {
  render(
    <I18nProvider>
      <ListingCards listings={listings} text={text} onHighlight={onHighlight} />
    </I18nProvider>,
  );
  return onHighlight;
}

describe("a listing's card", () => {
  it("says when a model read the listing, and which", () => {
    show([listing({ brand: "Omega", method: "llm", read_by: "gemini:gemini-3.5-flash-lite" }), listing({ index: 1, brand: "Rolex" })]);
    const byModel = screen.getByRole("region", { name: "Watch listing: Omega" });
    expect(within(byModel).getByText("read by the model").getAttribute("title")).toBe("gemini:gemini-3.5-flash-lite");
    expect(within(screen.getByRole("region", { name: "Watch listing: Rolex" })).queryByText("read by the model")).toBeNull();
  });

  it("says a price whose currency was not written is in euros by inference", () => {
    show([listing({ brand: "Omega", model: "Speedmaster", price: 6500, currency: "EUR", currency_implied: true })]);
    const card = screen.getByRole("region", { name: "Watch listing: Omega Speedmaster" });
    expect(within(card).getByText(/6,500/).textContent).toBe("€6,500 (€, inferred)");
    expect(within(card).getByRole("button", { name: "Matches of Omega Speedmaster" })).toBeTruthy();
  });

  it("points at the characters a field was read from, past an emoji", () => {
    const onHighlight = show([listing({ brand: "Omega", spans: { brand: { start: 8, end: 13 } } })]);
    const brand = screen.getByRole("term").parentElement!;
    fireEvent.mouseEnter(brand);
    expect(onHighlight).toHaveBeenLastCalledWith({ start: 9, end: 14 });
    expect(text.slice(9, 14)).toBe("Omega");
    fireEvent.mouseLeave(brand);
    expect(onHighlight).toHaveBeenLastCalledWith(null);
    fireEvent.focus(brand);
    expect(onHighlight).toHaveBeenLastCalledWith({ start: 9, end: 14 });
  });

  it("offers no matches for a question, and shows only the fields read", () => {
    show([listing({ type: "question", brand: "Omega", box: false })]);
    const card = screen.getByRole("region", { name: "Watch listing: Omega" });
    expect(within(card).queryByRole("button")).toBeNull();
    expect(within(card).getAllByRole("term").map((t) => t.textContent)).toEqual(["Brand", "Box"]);
    expect(within(card).getByText("Question")).toBeTruthy();
    expect(within(card).getByText("no")).toBeTruthy();
  });

  it("speaks French to a French reader, with French numbers", () => {
    window.localStorage.setItem("inbox.language", "fr");
    try {
      show([listing({ brand: "Omega", model: "Speedmaster", price: 6500, currency: "EUR", currency_implied: true, size_mm: 41.5 })]);
      const card = screen.getByRole("region", { name: "Annonce de montre : Omega Speedmaster" });
      expect(within(card).getByText("Vente")).toBeTruthy();
      expect(within(card).getByText(/6.500/).textContent?.replace(/\s/g, " ")).toBe("6 500 € (€, déduit)");
      expect(within(card).getByText("41,5 mm")).toBeTruthy();
      expect(within(card).getByRole("button", { name: "Correspondances de Omega Speedmaster" })).toBeTruthy();
    } finally {
      window.localStorage.removeItem("inbox.language");
    }
  });
});
