import { describe, expect, it } from "vitest";
import { checkAttachment, megabytes } from "./attachment";

describe("a file to send", () => {
  it("goes as the kind Meta accepts its type for", () => {
    expect(checkAttachment({ type: "image/jpeg", size: 1000 })).toEqual({ ok: true, kind: "image" });
    expect(checkAttachment({ type: "application/pdf", size: 1000 })).toEqual({ ok: true, kind: "document" });
    expect(checkAttachment({ type: "audio/ogg; codecs=opus", size: 1000 })).toEqual({ ok: true, kind: "audio" });
    expect(checkAttachment({ type: "image/webp", size: 1000 })).toEqual({ ok: true, kind: "sticker" });
  });

  it("is refused before upload when WhatsApp would refuse it", () => {
    expect(checkAttachment({ type: "image/gif", size: 10 })).toEqual({ ok: false, reason: "type", type: "image/gif" });
    expect(checkAttachment({ type: "", size: 10 })).toEqual({ ok: false, reason: "type", type: "?" });
    expect(checkAttachment({ type: "image/png", size: 6 * 1024 * 1024 })).toEqual({
      ok: false,
      reason: "size",
      kind: "image",
      max: 5 * 1024 * 1024,
    });
    expect(megabytes(5 * 1024 * 1024)).toBe("5 MB");
  });
});
