import type { Schemas } from "../api/client";

export type Listing = Schemas["Listing"];

/** A stretch of a string in UTF-16 units (what JavaScript indexes by), `end` excluded. */
export interface Range {
  start: number;
  end: number;
}

/** The fields a card shows, in its order; each may have a span in the message's text. */
export const FIELDS = ["type", "brand", "model", "reference", "price", "condition", "box", "papers", "year", "size_mm", "movement"] as const;
export type Field = (typeof FIELDS)[number];

/**
 * The server counts spans in characters (Unicode code points, `end` excluded) while JavaScript indexes
 * strings by UTF-16 unit: an emoji before the brand shifts it by one. Null when the span is not one of
 * `text` (an older reading of an edited message).
 */
export function toUtf16(text: string, start: number, end: number): Range | null {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start) return null;
  let units = 0;
  let points = 0;
  let from = -1;
  for (const char of text) {
    if (points === start) from = units;
    if (points === end) return { start: from, end: units };
    units += char.length;
    points += 1;
  }
  if (points === end && from >= 0) return { start: from, end: units };
  return null;
}

/** The span the server gave for `field` (`spans` is free-form JSON), in UTF-16 units of `text`. */
export function spanOf(listing: Listing, field: Field, text: string): Range | null {
  const spans = listing.spans as Record<string, unknown> | null | undefined;
  if (!spans || typeof spans !== "object") return null;
  const span = spans[field] as { start?: unknown; end?: unknown } | null | undefined;
  if (!span || typeof span.start !== "number" || typeof span.end !== "number") return null;
  return toUtf16(text, span.start, span.end);
}

export interface Piece {
  text: string;
  marked: boolean;
}

/**
 * Cuts consecutive pieces of one text (the linkified parts of a message) where `range` starts and ends,
 * so the highlighted characters can be wrapped in a `<mark>` whichever pieces they fall in.
 */
export function markPieces(pieces: readonly string[], range: Range | null): Piece[][] {
  let offset = 0;
  return pieces.map((text) => {
    const from = offset;
    offset += text.length;
    if (!range || range.end <= from || range.start >= offset) return [{ text, marked: false }];
    const a = Math.max(range.start, from) - from;
    const b = Math.min(range.end, offset) - from;
    return [
      { text: text.slice(0, a), marked: false },
      { text: text.slice(a, b), marked: true },
      { text: text.slice(b), marked: false },
    ].filter((p) => p.text !== "");
  });
}

/** A price in the reader's language, with its currency when the code is one the browser knows. */
export function formatPrice(price: number, currency: string | null | undefined, locale: string): string {
  if (currency) {
    try {
      return new Intl.NumberFormat(locale, { style: "currency", currency, maximumFractionDigits: 2, minimumFractionDigits: 0 }).format(price);
    } catch {
      return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(price)} ${currency}`;
    }
  }
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(price);
}

/** The currency's symbol as the reader's language writes it ("€", "CHF"), for "€, inferred". */
export function currencySymbol(currency: string, locale: string): string {
  try {
    const parts = new Intl.NumberFormat(locale, { style: "currency", currency }).formatToParts(0);
    return parts.find((p) => p.type === "currency")?.value ?? currency;
  } catch {
    return currency;
  }
}

/** A size as dealers write it: "40 mm", "41.5 mm" ("41,5 mm" in French). */
export function formatSize(size: number, locale: string): string {
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(size)} mm`;
}

/** Whether the API can find what a listing matches: offers and requests with a watch named. */
export function hasMatches(listing: Listing): boolean {
  return (listing.type === "sale" || listing.type === "trade" || listing.type === "wanted") && listing.brand != null;
}

/** A listing's identity among others (a message may hold several watches). */
export function listingKey(listing: Pick<Listing, "conversation_id" | "message_id" | "index">): string {
  return `${listing.conversation_id} ${listing.message_id} ${listing.index}`;
}

/** The family as people name it: "Rolex Submariner", or the brand alone. */
export function watchName(listing: Pick<Listing, "brand" | "model">): string {
  return [listing.brand, listing.model].filter((s): s is string => !!s).join(" ");
}

export interface ChartPoint {
  at: number;
  price: number;
}

export interface Series {
  /** "Rolex Submariner · EUR". */
  key: string;
  brand: string;
  model: string;
  currency: string;
  points: ChartPoint[];
}

/**
 * The offers' prices per family and currency (prices in different currencies are never drawn on one
 * axis), oldest first; the families with most points first.
 */
export function priceSeries(listings: readonly Listing[]): Series[] {
  const byKey = new Map<string, Series>();
  for (const l of listings) {
    if (l.type !== "sale" || l.price == null || !l.currency || !l.brand || !l.model) continue;
    const key = `${l.brand} ${l.model} · ${l.currency}`;
    let series = byKey.get(key);
    if (!series) {
      series = { key, brand: l.brand, model: l.model, currency: l.currency, points: [] };
      byKey.set(key, series);
    }
    series.points.push({ at: Date.parse(l.written_at), price: l.price });
  }
  const all = [...byKey.values()];
  for (const s of all) s.points.sort((a, b) => a.at - b.at);
  return all.sort((a, b) => b.points.length - a.points.length || a.key.localeCompare(b.key));
}

/** Maps a domain onto a range linearly; a domain of one value maps to the range's middle. */
export function linear(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

/**
 * Round axis marks covering [min, max]: about `count` of them, stepped by 1, 2 or 5 times a power of ten,
 * the first at or below min and the last at or above max.
 */
export function niceTicks(min: number, max: number, count = 4): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    if (min === 0) return [0, 1];
    const pad = Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v < max + step; v += step) {
    ticks.push(Number(v.toPrecision(12)));
    if (v >= max) break;
  }
  return ticks;
}
