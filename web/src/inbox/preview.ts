import type { Conversation } from "../api/client";
import type { MessageKey } from "../i18n/en";
import type { Translate } from "../i18n/i18n";

const KINDS = new Set([
  "text", "image", "video", "audio", "voice", "document", "sticker", "location", "contacts", "interactive",
  "button", "template", "buttons", "list", "cta_url", "order", "reaction", "system", "unsupported",
]);

const ICONS: Record<string, string> = {
  image: "📷", video: "🎬", audio: "🎵", voice: "🎤", document: "📄", sticker: "🏷️", location: "📍",
  contacts: "👤", order: "🛒", template: "📋",
};

export function kindLabel(kind: string, t: Translate): string {
  return KINDS.has(kind) ? t(`kind.${kind}` as MessageKey) : t("kind.other", { kind });
}

/**
 * The list's one-line preview: the text, or what stands for the message when it has none (the server's
 * preview is then `[kind]`), with an icon for media; "You: …" for the business's own messages.
 */
export function previewOf(conversation: Conversation, t: Translate): string {
  const last = conversation.last_message;
  if (!last) return "";
  const kind = last.kind ?? "text";
  const raw = last.preview ?? "";
  const placeholder = raw === "" || raw === `[${kind}]`;
  const icon = ICONS[kind];
  let text = placeholder ? kindLabel(kind, t) : raw;
  if (icon) text = `${icon} ${text}`;
  if (last.direction === "note") return t("teamwork.note.preview", { text });
  return last.direction === "outbound" ? t("inbox.you", { text }) : text;
}
