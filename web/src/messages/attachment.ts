import type { Limits } from "../api/client";

/** The kinds of media message a file can be sent as. */
export type MediaKind = "image" | "video" | "audio" | "document" | "sticker";

const MB = 1024 * 1024;

export type AttachmentCheck =
  | { ok: true; kind: MediaKind }
  | { ok: false; reason: "type"; type: string }
  | { ok: false; reason: "size"; kind: MediaKind; max: number };

function isMediaKind(kind: string): kind is MediaKind {
  return kind === "image" || kind === "video" || kind === "audio" || kind === "document" || kind === "sticker";
}

/**
 * Which kind of message a file goes as, or why WhatsApp would refuse it — before anything is uploaded.
 * `media` is what the server publishes (`GET /api/v1/limits`), in the order a type is matched.
 */
export function checkAttachment(file: { type: string; size: number }, media: Limits["media"]): AttachmentCheck {
  const type = file.type.split(";")[0]?.trim().toLowerCase() ?? "";
  const match = media.find((k) => k.types.includes(type));
  if (!match || !isMediaKind(match.kind)) return { ok: false, reason: "type", type: type || "?" };
  if (file.size > match.max_bytes) return { ok: false, reason: "size", kind: match.kind, max: match.max_bytes };
  return { ok: true, kind: match.kind };
}

/** Every accepted type, for the file picker. */
export function acceptedTypes(media: Limits["media"]): string {
  return media.flatMap((k) => k.types).join(",");
}

/** Kinds that carry a caption (the text typed with the file). */
export function takesCaption(kind: MediaKind): boolean {
  return kind === "image" || kind === "video" || kind === "document";
}

export function megabytes(bytes: number): string {
  return bytes >= MB ? `${Math.round(bytes / MB)} MB` : `${Math.round(bytes / 1024)} KB`;
}
