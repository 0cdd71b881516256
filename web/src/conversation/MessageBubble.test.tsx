import { describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import type { BotTurn } from "../bot/logic";
import { I18nProvider } from "../i18n/i18n";
import { MessageBubble } from "./MessageBubble";
import { message } from "../test/messages";
import type { Message } from "../api/client";

function show(m: Message, quoted: Message | null = null, found = false, botTurn: BotTurn | null = null) {
  render(
    <I18nProvider>
      <ol>
        <MessageBubble message={m} quoted={quoted} pending={null} onDismiss={undefined} found={found} botTurn={botTurn} />
      </ol>
    </I18nProvider>,
  );
  const [item] = screen.getAllByRole("listitem");
  if (!item) throw new Error("no message shown");
  return item;
}

describe("a message on screen", () => {
  it("says the bot sent it, with its turn's details a click away", () => {
    const turn: BotTurn = {
      turn_id: "t1",
      through: "m0",
      outcome: "replied",
      kind: "answer",
      message_id: "m1",
      model: "gemini-3.5-flash-lite",
      playbook_version: 3,
      confidence: 0.93,
      reasons: ["The FAQ gives the opening hours"],
      input_tokens: 812,
      output_tokens: 40,
      latency_ms: 420,
      claimed_at: "2026-11-30T10:00:00Z",
    };
    const item = show(message({ body: "We are open 10 to 19." }), null, false, turn);
    expect(within(item).getByText("Sent by the bot")).toBeTruthy();
    expect(within(item).queryByText("You")).toBeNull();
    const details = within(item).getByRole("button", { name: "Bot turn details" });
    expect(details.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(details);
    expect(details.getAttribute("aria-expanded")).toBe("true");
    for (const text of ["gemini-3.5-flash-lite", "3", "93%", "812 in, 40 out", "420 ms", "The FAQ gives the opening hours"]) {
      expect(within(item).getByText(text)).toBeTruthy();
    }
    cleanup();
    expect(within(show(message({ body: "By a person" }))).queryByText("Sent by the bot")).toBeNull();
  });

  it("is marked as the current one, and focusable, when a search result opened it", () => {
    const item = show(message({ body: "Vends 126610LV" }), null, true);
    expect(item.getAttribute("aria-current")).toBe("true");
    expect(item.tabIndex).toBe(-1);
    cleanup();
    const other = show(message({ body: "Vends 126610LV" }));
    expect(other.getAttribute("aria-current")).toBeNull();
    expect(other.hasAttribute("tabindex")).toBe(false);
  });

  it("links the URLs of a text", () => {
    const item = show(message({ body: "Photos at https://example.org/w", content: { content_type: "text", body: "Photos at https://example.org/w" } }));
    expect(within(item).getByRole("link", { name: "https://example.org/w" })).toHaveProperty("href", "https://example.org/w");
  });

  it("offers a document to download by its name", () => {
    const item = show(
      message({
        kind: "document",
        media_file: { id: "f1", url: "/api/v1/media/f1", size: 3000, mime_type: "application/pdf" },
        content: { content_type: "document", media: { filename: "invoice.pdf" } },
      }),
    );
    expect(within(item).getByRole("link", { name: /Download invoice\.pdf/ })).toBeTruthy();
  });

  it("gives a location a map link", () => {
    const item = show(message({ kind: "location", content: { content_type: "location", latitude: 1, longitude: 2, name: "Shop" } }));
    expect(within(item).getByRole("link", { name: "Open in a map" }).getAttribute("href")).toContain("mlat=1.000000");
  });

  it("shows reactions under their message and the message a reply quotes", () => {
    const original = message({ id: "wamid.0", body: "Is it still available?", content: { content_type: "text", body: "Is it still available?" } });
    const item = show(
      message({
        direction: "outbound",
        body: "Yes!",
        status: "read",
        reply_to: "wamid.0",
        content: { kind: "text", body: "Yes!" },
        reactions: [{ from: "447700900123", emoji: "👍", at: "2026-03-02T10:17:00Z" }],
      }),
      original,
    );
    expect(within(item).getByText("Is it still available?")).toBeTruthy();
    expect(within(within(item).getByRole("list", { name: "Reactions" })).getByText("👍")).toBeTruthy();
    expect(within(item).getByRole("img", { name: "Read" })).toBeTruthy();
  });

  it("says why a message was not delivered and what to do", () => {
    const item = show(
      message({
        direction: "outbound",
        status: "failed",
        body: "Hello",
        content: { kind: "text", body: "Hello" },
        failure: [{ code: 131047, message: "Re-engagement message" }],
      }),
    );
    expect(within(item).getByRole("img", { name: "Not delivered" })).toBeTruthy();
    expect(item.textContent).toContain("Not delivered: Re-engagement message More than 24 hours have passed since the customer wrote: send a template.");
  });

  it("marks edited and deleted messages", () => {
    show(message({ body: "v2", edited_at: "2026-03-02T10:16:00Z", content: { content_type: "text", body: "v1" } }));
    expect(screen.getByText("edited")).toBeTruthy();
  });
});
