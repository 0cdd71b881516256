/** The kinds of media message a file can be sent as. */
export type MediaKind = "image" | "video" | "audio" | "document" | "sticker";

const MB = 1024 * 1024;

/** Meta's accepted types and sizes per kind (the server checks the same: `actors::graph::media`). */
const KINDS: readonly { kind: MediaKind; types: readonly string[]; max: number }[] = [
  { kind: "image", types: ["image/jpeg", "image/png"], max: 5 * MB },
  { kind: "sticker", types: ["image/webp"], max: 500 * 1024 },
  { kind: "audio", types: ["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"], max: 16 * MB },
  { kind: "video", types: ["video/mp4", "video/3gpp"], max: 16 * MB },
  {
    kind: "document",
    types: [
      "text/plain",
      "application/pdf",
      "application/msword",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.ms-excel",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/vnd.ms-powerpoint",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ],
    max: 100 * MB,
  },
];

export type AttachmentCheck =
  | { ok: true; kind: MediaKind }
  | { ok: false; reason: "type"; type: string }
  | { ok: false; reason: "size"; kind: MediaKind; max: number };

/** Which kind of message a file goes as, or why WhatsApp would refuse it — before anything is uploaded. */
export function checkAttachment(file: { type: string; size: number }): AttachmentCheck {
  const type = file.type.split(";")[0]?.trim().toLowerCase() ?? "";
  const match = KINDS.find((k) => k.types.includes(type));
  if (!match) return { ok: false, reason: "type", type: type || "?" };
  if (file.size > match.max) return { ok: false, reason: "size", kind: match.kind, max: match.max };
  return { ok: true, kind: match.kind };
}

/** Kinds that carry a caption (the text typed with the file). */
export function takesCaption(kind: MediaKind): boolean {
  return kind === "image" || kind === "video" || kind === "document";
}

export function megabytes(bytes: number): string {
  return bytes >= MB ? `${Math.round(bytes / MB)} MB` : `${Math.round(bytes / 1024)} KB`;
}
