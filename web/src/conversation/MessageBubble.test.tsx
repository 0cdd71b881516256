import { describe, expect, it } from "vitest";
import { cleanup, render, screen, within } from "@testing-library/react";
import { I18nProvider } from "../i18n/i18n";
import { MessageBubble } from "./MessageBubble";
import { message } from "../test/messages";
import type { Message } from "../api/client";

function show(m: Message, quoted: Message | null = null, found = false) {
  render(
    <I18nProvider>
      <ol>
        <MessageBubble message={m} quoted={quoted} pending={null} onDismiss={undefined} found={found} />
      </ol>
    </I18nProvider>,
  );
  const [item] = screen.getAllByRole("listitem");
  if (!item) throw new Error("no message shown");
  return item;
}

describe("a message on screen", () => {
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
