import type { Message } from "../api/client";

/**
 * What one message shows, read from the API's message: the API gives the recorded content as JSON
 * (`content_type` for what customers send, `kind` for what the inbox sends), so this is the one place
 * that reads it. Everything a component renders comes from `describeMessage`.
 */
export type MessageView =
  | { type: "text"; text: string }
  | { type: "image"; file: FileView; caption: string | null }
  | { type: "video"; file: FileView; caption: string | null }
  | { type: "audio"; file: FileView; voice: boolean; transcript: string | null }
  | { type: "document"; file: FileView; caption: string | null; filename: string }
  | { type: "sticker"; file: FileView }
  | {
      type: "location";
      latitude: number;
      longitude: number;
      name: string | null;
      address: string | null;
      mapUrl: string;
    }
  | { type: "contacts"; cards: ContactCard[] }
  | { type: "choice"; title: string; description: string | null }
  | { type: "template"; name: string; language: string; text: string | null }
  | { type: "interactive"; header: string | null; text: string; footer: string | null; buttons: string[] }
  | { type: "order"; text: string | null; items: number }
  | { type: "system"; text: string }
  | { type: "deleted" }
  | { type: "unsupported"; what: string }
  | { type: "unknown"; kind: string };

/** Where a file stands: fetched from Meta and stored (with its URL), still coming, or lost. */
export type FileView =
  | { state: "stored"; url: string; mimeType: string | null; size: number | null }
  | { state: "pending" }
  | { state: "failed" }
  | { state: "none" };

export interface ContactCard {
  name: string;
  phones: string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function field(object: unknown, key: string): unknown {
  return isObject(object) ? object[key] : undefined;
}

export function fileOf(message: Message): FileView {
  const file = message.media_file;
  if (isObject(file)) {
    const url = text(file.url);
    if (url) {
      return {
        state: "stored",
        url,
        mimeType: text(file.mime_type),
        size: typeof file.size === "number" ? file.size : null,
      };
    }
    if (file.error !== undefined) return { state: "failed" };
  }
  // A file the inbox sent: from its media store (uploaded by an agent), or from the link it was sent by.
  const uploaded = text(field(message.content, "media_id"));
  if (uploaded && message.direction === "outbound") {
    return { state: "stored", url: `/api/v1/media/${encodeURIComponent(uploaded)}`, mimeType: null, size: null };
  }
  const link = text(field(message.content, "link"));
  if (link) return { state: "stored", url: link, mimeType: null, size: null };
  if (message.media_state === "pending") return { state: "pending" };
  if (message.media_state === "failed") return { state: "failed" };
  return { state: "none" };
}

/** OpenStreetMap needs no key and no account; the link opens in a new tab. */
export function mapUrl(latitude: number, longitude: number): string {
  const lat = latitude.toFixed(6);
  const lon = longitude.toFixed(6);
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
}

function contactCards(list: unknown): ContactCard[] {
  if (!Array.isArray(list)) return [];
  return list.map((card) => {
    const name = field(card, "name");
    const formatted = text(field(name, "formatted_name")) ?? text(field(name, "first_name")) ?? "?";
    const phones = field(card, "phones");
    return {
      name: formatted,
      phones: Array.isArray(phones)
        ? phones.map((p) => text(field(p, "phone")) ?? text(field(p, "wa_id"))).filter((p): p is string => p !== null)
        : [],
    };
  });
}

function caption(message: Message, content: unknown): string | null {
  return text(message.body) ?? text(field(content, "caption")) ?? text(field(field(content, "media"), "caption"));
}

function filename(message: Message, content: unknown): string {
  return (
    text(field(content, "filename")) ??
    text(field(message.media, "filename")) ??
    text(field(field(content, "media"), "filename")) ??
    "document"
  );
}

/** The view of a message as recorded by the inbox for a customer's message (`content_type`). */
function inbound(message: Message, content: Json, contentType: string): MessageView {
  switch (contentType) {
    case "text":
      return { type: "text", text: message.body ?? text(content.body) ?? "" };
    case "image":
      return { type: "image", file: fileOf(message), caption: caption(message, content) };
    case "video":
      return { type: "video", file: fileOf(message), caption: caption(message, content) };
    case "audio":
      return { type: "audio", file: fileOf(message), voice: content.voice === true, transcript: message.transcript?.text ?? null };
    case "document":
      return { type: "document", file: fileOf(message), caption: caption(message, content), filename: filename(message, content) };
    case "sticker":
      return { type: "sticker", file: fileOf(message) };
    case "location":
      return location(content);
    case "contacts":
      return { type: "contacts", cards: contactCards(content.contacts) };
    case "button_reply":
    case "list_reply":
      return { type: "choice", title: text(content.title) ?? "", description: text(content.description) };
    case "template_button":
      return { type: "choice", title: text(content.text) ?? text(content.payload) ?? "", description: null };
    case "flow_reply":
      return { type: "choice", title: text(content.body) ?? text(content.name) ?? "", description: null };
    case "order": {
      const items = content.product_items;
      return { type: "order", text: text(content.text), items: Array.isArray(items) ? items.length : 0 };
    }
    case "system":
      return { type: "system", text: message.body ?? text(content.body) ?? text(content.system_type) ?? "" };
    case "unsupported":
      return { type: "unsupported", what: text(content.unsupported_type) ?? message.kind ?? "unsupported" };
    case "edit": {
      // An edit whose original never arrived: show what it says.
      return message.body ? { type: "text", text: message.body } : { type: "unknown", kind: "edit" };
    }
    default:
      return { type: "unknown", kind: text(content.kind) ?? message.kind ?? contentType };
  }
}

function location(content: Json): MessageView {
  const latitude = Number(content.latitude);
  const longitude = Number(content.longitude);
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return { type: "unknown", kind: "location" };
  return {
    type: "location",
    latitude,
    longitude,
    name: text(content.name),
    address: text(content.address),
    mapUrl: mapUrl(latitude, longitude),
  };
}

/** The view of a message the inbox sent (`kind`, the API's send body). */
function outbound(message: Message, content: Json, kind: string): MessageView {
  switch (kind) {
    case "text":
      return { type: "text", text: message.body ?? text(content.body) ?? "" };
    case "image":
      return { type: "image", file: fileOf(message), caption: caption(message, content) };
    case "video":
      return { type: "video", file: fileOf(message), caption: caption(message, content) };
    case "audio":
      return { type: "audio", file: fileOf(message), voice: false, transcript: null };
    case "document":
      return { type: "document", file: fileOf(message), caption: caption(message, content), filename: filename(message, content) };
    case "sticker":
      return { type: "sticker", file: fileOf(message) };
    case "location":
      return location(content);
    case "contacts":
      return { type: "contacts", cards: contactCards(content.contacts) };
    case "template":
      return {
        type: "template",
        name: text(content.name) ?? "?",
        language: text(content.language) ?? "",
        // The body is the template's text when the inbox knew it as it sent it.
        text: text(message.body),
      };
    case "buttons":
    case "list":
    case "cta_url": {
      const buttons =
        kind === "buttons" && Array.isArray(content.buttons)
          ? content.buttons.map((b) => text(field(b, "title"))).filter((b): b is string => b !== null)
          : kind === "list"
            ? [text(content.button) ?? ""]
            : [text(field(content, "button_text")) ?? text(field(content, "display_text")) ?? text(content.url) ?? ""];
      return {
        type: "interactive",
        header: text(content.header),
        text: text(content.body) ?? message.body ?? "",
        footer: text(content.footer),
        buttons: buttons.filter((b) => b !== ""),
      };
    }
    default:
      return { type: "unknown", kind };
  }
}

export function describeMessage(message: Message): MessageView {
  if (message.revoked_at) return { type: "deleted" };
  const content = message.content;
  if (isObject(content)) {
    if (typeof content.content_type === "string") return inbound(message, content, content.content_type);
    if (typeof content.kind === "string") return outbound(message, content, content.kind);
  }
  // Nothing typed was recorded: fall back on the kind and the text.
  if (message.kind === "unsupported") return { type: "unsupported", what: "unsupported" };
  if (message.body) return { type: "text", text: message.body };
  return { type: "unknown", kind: message.kind ?? "?" };
}

/** A piece of message text: plain, or a link to open. */
export type TextPart = { text: string } | { text: string; href: string };

const LINK = /\b(https?:\/\/[^\s<>"']+|www\.[^\s<>"']+)/gi;
const TRAILING = /[.,;:!?)\]}»"']+$/;

/** Splits text into plain parts and links (http, https, www.); trailing punctuation stays text. */
export function linkify(input: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of input.matchAll(LINK)) {
    const start = match.index;
    let url = match[0];
    const trailing = TRAILING.exec(url);
    if (trailing) url = url.slice(0, url.length - trailing[0].length);
    if (url.length === 0) continue;
    if (start > last) parts.push({ text: input.slice(last, start) });
    parts.push({ text: url, href: url.toLowerCase().startsWith("www.") ? `https://${url}` : url });
    last = start + url.length;
  }
  if (last < input.length) parts.push({ text: input.slice(last) });
  return parts;
}

/** What went wrong with a failed message, from Meta's errors: the first one's code and words. */
export function failureOf(message: Message): { code: number | null; reason: string } | null {
  if (message.status !== "failed") return null;
  const errors = Array.isArray(message.failure) ? message.failure : message.failure ? [message.failure] : [];
  const first = errors[0];
  const code = typeof field(first, "code") === "number" ? (field(first, "code") as number) : null;
  const reason =
    text(field(first, "details")) ?? text(field(first, "message")) ?? text(field(first, "title")) ?? (code !== null ? `error ${code}` : "unknown");
  return { code, reason };
}

/** The id WhatsApp knows a message by, to quote it or react to it: a customer's message's id, or the
 * wamid Meta gave a message the inbox sent. `null` until Meta has accepted it. */
export function whatsappId(message: Message): string | null {
  if (message.direction === "inbound") return message.id;
  return message.wamid ?? null;
}

/**
 * The business's own reaction to each message, from the reactions the inbox sent (they are messages of
 * their own in the API): the latest per message wins, and an empty emoji takes it back. Keyed by the
 * WhatsApp id of the message reacted to.
 */
export function ownReactions(messages: readonly Message[]): Map<string, string> {
  const mine = new Map<string, string>();
  for (const m of messages) {
    if (m.direction !== "outbound" || m.status === "failed") continue;
    const content = m.content;
    if (!isObject(content) || content.kind !== "reaction") continue;
    const target = text(content.message_id);
    if (!target) continue;
    const emoji = typeof content.emoji === "string" ? content.emoji : "";
    if (emoji === "") mine.delete(target);
    else mine.set(target, emoji);
  }
  return mine;
}
