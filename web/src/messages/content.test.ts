import { describe, expect, it } from "vitest";
import { describeMessage, failureOf, linkify, mapUrl, ownReactions } from "./content";
import { message } from "../test/messages";
import type { Message } from "../api/client";

const stored = { id: "m1", mime_type: "image/jpeg", size: 2048, url: "/api/v1/media/m1" };

describe("describeMessage", () => {
  it("reads a customer's text", () => {
    const view = describeMessage(message({ body: "Hello", content: { content_type: "text", body: "Hello" } }));
    expect(view).toEqual({ type: "text", text: "Hello" });
  });

  it("shows the edited text, not the first version", () => {
    const view = describeMessage(
      message({ body: "Hello, edited", edited_at: "2026-03-02T10:16:00Z", content: { content_type: "text", body: "Hello" } }),
    );
    expect(view).toEqual({ type: "text", text: "Hello, edited" });
  });

  it("shows an image once its file is stored, with its caption", () => {
    const view = describeMessage(
      message({
        kind: "image",
        body: "The watch",
        media_state: "stored",
        media_file: stored,
        content: { content_type: "image", media: { media_id: "9", caption: "The watch" } },
      }),
    );
    expect(view).toEqual({
      type: "image",
      caption: "The watch",
      file: { state: "stored", url: "/api/v1/media/m1", mimeType: "image/jpeg", size: 2048 },
    });
  });

  it("says when a file is still coming or could not be fetched", () => {
    const pending = describeMessage(message({ kind: "video", media_state: "pending", content: { content_type: "video", media: {} } }));
    expect(pending).toMatchObject({ type: "video", file: { state: "pending" } });
    const failed = describeMessage(
      message({ kind: "audio", media_state: "failed", media_file: { error: "gone" }, content: { content_type: "audio", media: {}, voice: true } }),
    );
    expect(failed).toEqual({ type: "audio", voice: true, file: { state: "failed" }, transcript: null });
  });

  it("gives a voice note the words the model heard", () => {
    const view = describeMessage(
      message({
        kind: "audio",
        media_state: "stored",
        media_file: { id: "m9", url: "/api/v1/media/m9", mime_type: "audio/ogg", size: 10 },
        content: { content_type: "audio", media: {}, voice: true },
        transcript: { text: "Do you ship to Lisbon?", model: "gemini:x", at: "2026-11-30T10:00:00Z" },
      }),
    );
    expect(view).toMatchObject({ type: "audio", voice: true, transcript: "Do you ship to Lisbon?" });
  });

  it("names a document by its file name", () => {
    const view = describeMessage(
      message({
        kind: "document",
        media: { filename: "invoice.pdf" },
        media_file: { ...stored, mime_type: "application/pdf" },
        content: { content_type: "document", media: { filename: "invoice.pdf" } },
      }),
    );
    expect(view).toMatchObject({ type: "document", filename: "invoice.pdf", file: { state: "stored" } });
  });

  it("gives a location its coordinates and a map link", () => {
    const view = describeMessage(
      message({ kind: "location", content: { content_type: "location", latitude: 51.5, longitude: -0.12, name: "Shop" } }),
    );
    expect(view).toEqual({
      type: "location",
      latitude: 51.5,
      longitude: -0.12,
      name: "Shop",
      address: null,
      mapUrl: mapUrl(51.5, -0.12),
    });
    expect(mapUrl(51.5, -0.12)).toBe("https://www.openstreetmap.org/?mlat=51.500000&mlon=-0.120000#map=16/51.500000/-0.120000");
  });

  it("reads contact cards", () => {
    const view = describeMessage(
      message({
        kind: "contacts",
        content: { content_type: "contacts", contacts: [{ name: { formatted_name: "Bob Smith" }, phones: [{ phone: "+44 7700 900456" }] }] },
      }),
    );
    expect(view).toEqual({ type: "contacts", cards: [{ name: "Bob Smith", phones: ["+44 7700 900456"] }] });
  });

  it("reads button, list and template replies as the choice made", () => {
    expect(describeMessage(message({ kind: "interactive", content: { content_type: "button_reply", id: "yes", title: "Yes" } }))).toEqual({
      type: "choice",
      title: "Yes",
      description: null,
    });
    expect(
      describeMessage(message({ kind: "interactive", content: { content_type: "list_reply", id: "a", title: "Blue", description: "The blue one" } })),
    ).toEqual({ type: "choice", title: "Blue", description: "The blue one" });
    expect(describeMessage(message({ kind: "button", content: { content_type: "template_button", payload: "STOP", text: "Stop" } }))).toEqual({
      type: "choice",
      title: "Stop",
      description: null,
    });
  });

  it("marks a deleted message whatever it said", () => {
    const view = describeMessage(message({ revoked_at: "2026-03-02T10:20:00Z", content: { content_type: "text", body: "oops" } }));
    expect(view).toEqual({ type: "deleted" });
  });

  it("explains unsupported and unknown messages", () => {
    expect(describeMessage(message({ kind: "unsupported", content: { content_type: "unsupported", unsupported_type: "poll" } }))).toEqual({
      type: "unsupported",
      what: "poll",
    });
    expect(describeMessage(message({ kind: "hologram", content: { content_type: "unknown", kind: "hologram" } }))).toEqual({
      type: "unknown",
      kind: "hologram",
    });
  });

  it("reads what the inbox sent: text, templates and buttons", () => {
    const text = describeMessage(message({ direction: "outbound", body: "On its way", content: { kind: "text", body: "On its way" } }));
    expect(text).toEqual({ type: "text", text: "On its way" });
    const template = describeMessage(
      message({ direction: "outbound", kind: "template", body: "Your order shipped", content: { kind: "template", name: "shipped", language: "en_US" } }),
    );
    expect(template).toEqual({ type: "template", name: "shipped", language: "en_US", text: "Your order shipped" });
    const buttons = describeMessage(
      message({
        direction: "outbound",
        kind: "buttons",
        content: { kind: "buttons", body: "Still interested?", buttons: [{ id: "y", title: "Yes" }, { id: "n", title: "No" }] },
      }),
    );
    expect(buttons).toEqual({ type: "interactive", header: null, text: "Still interested?", footer: null, buttons: ["Yes", "No"] });
  });

  it("shows a file an agent uploaded from the inbox's media store", () => {
    const view = describeMessage(
      message({ direction: "outbound", kind: "image", body: "Front", content: { kind: "image", media_id: "abc123", caption: "Front" } }),
    );
    expect(view).toMatchObject({ type: "image", caption: "Front", file: { state: "stored", url: "/api/v1/media/abc123" } });
  });

  it("shows an image the inbox sent by link from that link", () => {
    const view = describeMessage(
      message({ direction: "outbound", kind: "image", content: { kind: "image", link: "https://example.org/a.jpg" } }),
    );
    expect(view).toMatchObject({ type: "image", file: { state: "stored", url: "https://example.org/a.jpg" } });
  });
});

describe("ownReactions", () => {
  it("keeps the business's latest reaction per message, and forgets one taken back", () => {
    const reaction = (id: string, target: string, emoji: string, status: Message["status"] = "sent") =>
      message({ id, direction: "outbound", kind: "reaction", status, content: { kind: "reaction", message_id: target, emoji } });
    const mine = ownReactions([
      reaction("r1", "wamid.a", "👍"),
      reaction("r2", "wamid.a", "❤️"),
      reaction("r3", "wamid.b", "😂"),
      reaction("r4", "wamid.b", ""),
      reaction("r5", "wamid.c", "🙏", "failed"),
    ]);
    expect([...mine]).toEqual([["wamid.a", "❤️"]]);
  });
});

describe("linkify", () => {
  it("turns URLs into links and leaves the rest as text", () => {
    expect(linkify("See https://example.org/watch?id=1, or www.example.com.")).toEqual([
      { text: "See " },
      { text: "https://example.org/watch?id=1", href: "https://example.org/watch?id=1" },
      { text: ", or " },
      { text: "www.example.com", href: "https://www.example.com" },
      { text: "." },
    ]);
  });

  it("leaves text without links alone", () => {
    expect(linkify("no links here")).toEqual([{ text: "no links here" }]);
  });

  it("never links a javascript: URL", () => {
    expect(linkify("javascript:alert(1)").every((p) => !("href" in p))).toBe(true);
  });
});

describe("failureOf", () => {
  it("gives Meta's reason and code for a failed message", () => {
    const failed = message({
      direction: "outbound",
      status: "failed",
      failure: [{ code: 131047, title: "Re-engagement message", details: "More than 24 hours have passed" }],
    });
    expect(failureOf(failed)).toEqual({ code: 131047, reason: "More than 24 hours have passed" });
  });

  it("is nothing for a message that did not fail", () => {
    expect(failureOf(message({ direction: "outbound", status: "delivered" }))).toBeNull();
  });
});
