import { describe, expect, it } from "vitest";
import { acceptedTypes, checkAttachment, megabytes } from "./attachment";
import { limits } from "../test/limits";

const check = (type: string, size: number) => checkAttachment({ type, size }, limits.media);

describe("a file to send", () => {
  it("goes as the kind Meta accepts its type for", () => {
    expect(check("image/jpeg", 1000)).toEqual({ ok: true, kind: "image" });
    expect(check("application/pdf", 1000)).toEqual({ ok: true, kind: "document" });
    expect(check("audio/ogg; codecs=opus", 1000)).toEqual({ ok: true, kind: "audio" });
    expect(check("IMAGE/WEBP", 1000)).toEqual({ ok: true, kind: "sticker" });
  });

  it("is refused before upload when WhatsApp would refuse it", () => {
    expect(check("image/gif", 10)).toEqual({ ok: false, reason: "type", type: "image/gif" });
    expect(check("", 10)).toEqual({ ok: false, reason: "type", type: "?" });
    expect(check("image/png", 5 * 1024 * 1024 + 1)).toEqual({ ok: false, reason: "size", kind: "image", max: 5 * 1024 * 1024 });
    expect(check("image/png", 5 * 1024 * 1024)).toEqual({ ok: true, kind: "image" });
    expect(megabytes(5 * 1024 * 1024)).toBe("5 MB");
    expect(megabytes(500 * 1024)).toBe("500 KB");
  });

  it("is refused when the server names a kind this app cannot send", () => {
    const odd = [{ kind: "hologram", types: ["model/gltf"], max_bytes: 10 }];
    expect(checkAttachment({ type: "model/gltf", size: 1 }, odd)).toEqual({ ok: false, reason: "type", type: "model/gltf" });
  });

  it("offers the picker every accepted type", () => {
    expect(acceptedTypes(limits.media).split(",")).toContain("video/3gpp");
  });
});
