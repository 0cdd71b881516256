import type { Schemas } from "../api/client";

export type SearchMode = Schemas["SearchMode"];
export type SearchHit = Schemas["SearchHit"];
export type SearchResults = Schemas["SearchResults"];
export type HitScores = Schemas["HitScores"];
export type Highlight = Schemas["Highlight"];
export type ListingType = Schemas["MessageType"];

export const MODES: readonly SearchMode[] = ["hybrid", "semantic", "keyword"];
export const TYPES: readonly ListingType[] = ["sale", "wanted", "question", "trade", "general"];
export const DIRECTIONS = ["inbound", "outbound"] as const;

/**
 * What the Search page shows, all of it in the address (`/search?q=…&mode=…&brand=…`) so a search can
 * be shared, reloaded and walked back through. Empty strings mean "any"; dates are days (`2026-11-30`)
 * in the reader's time zone, prices as typed.
 */
export interface SearchState {
  q: string;
  mode: SearchMode;
  account: string;
  conversation: string;
  contact: string;
  direction: string;
  kind: string;
  type: ListingType | "";
  brand: string;
  model: string;
  reference: string;
  since: string;
  until: string;
  minPrice: string;
  maxPrice: string;
  currency: string;
}

export const BLANK: SearchState = {
  q: "",
  mode: "hybrid",
  account: "",
  conversation: "",
  contact: "",
  direction: "",
  kind: "",
  type: "",
  brand: "",
  model: "",
  reference: "",
  since: "",
  until: "",
  minPrice: "",
  maxPrice: "",
  currency: "",
};

/** Each field's name in the address (the API's where it has one). */
const PARAMS: Record<keyof SearchState, string> = {
  q: "q",
  mode: "mode",
  account: "account",
  conversation: "conversation",
  contact: "contact",
  direction: "direction",
  kind: "kind",
  type: "type",
  brand: "brand",
  model: "model",
  reference: "reference",
  since: "since",
  until: "until",
  minPrice: "min_price",
  maxPrice: "max_price",
  currency: "currency",
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The state an address holds; anything unknown or malformed in it is left at "any". */
export function stateFromQuery(query: string): SearchState {
  const params = new URLSearchParams(query);
  const state = { ...BLANK };
  for (const key of Object.keys(PARAMS) as (keyof SearchState)[]) {
    const value = params.get(PARAMS[key]);
    if (value !== null) (state as Record<keyof SearchState, string>)[key] = value;
  }
  if (!MODES.includes(state.mode)) state.mode = "hybrid";
  if (state.type !== "" && !TYPES.includes(state.type)) state.type = "";
  if (state.direction !== "" && !(DIRECTIONS as readonly string[]).includes(state.direction)) state.direction = "";
  if (state.since !== "" && !DAY.test(state.since)) state.since = "";
  if (state.until !== "" && !DAY.test(state.until)) state.until = "";
  return state;
}

/** The address's query string for a state (without `?`): only what differs from "any", in a fixed order. */
export function queryFromState(state: SearchState): string {
  const params = new URLSearchParams();
  for (const key of Object.keys(PARAMS) as (keyof SearchState)[]) {
    const value = state[key].trim();
    if (value === "" || (key === "mode" && value === "hybrid")) continue;
    params.set(PARAMS[key], key === "q" ? state.q : value);
  }
  return params.toString();
}

/** Whether there is anything to search for: words or at least one filter. */
export function hasCriteria(state: SearchState): boolean {
  return (Object.keys(PARAMS) as (keyof SearchState)[]).some((key) => key !== "mode" && state[key].trim() !== "");
}

/** Why the filters cannot be sent as they are (a text key), or null. */
export function stateProblem(state: SearchState): "search.badRange" | "search.badDates" | "search.badCurrency" | "search.badPrice" | null {
  const min = price(state.minPrice);
  const max = price(state.maxPrice);
  if (Number.isNaN(min) || Number.isNaN(max)) return "search.badPrice";
  if (min !== undefined && max !== undefined && min > max) return "search.badRange";
  if (state.currency.trim() !== "" && !/^[A-Za-z]{3}$/.test(state.currency.trim())) return "search.badCurrency";
  if (state.since !== "" && state.until !== "" && state.since > state.until) return "search.badDates";
  return null;
}

const text = (value: string) => (value.trim() === "" ? undefined : value.trim());
/** A typed price (a comma for decimals is fine); NaN when it is not a non-negative number. */
const price = (value: string) => {
  if (value.trim() === "") return undefined;
  const n = Number(value.trim().replace(",", "."));
  return Number.isFinite(n) && n >= 0 ? n : Number.NaN;
};
/** A day as the start of that day in the reader's time zone. */
const dayStart = (value: string) => (value === "" ? undefined : new Date(`${value}T00:00:00`).toISOString());
/** "Until" a day includes that day: the API's `until` excludes its instant. */
const dayEnd = (value: string) => {
  if (value === "") return undefined;
  const next = new Date(`${value}T00:00:00`);
  next.setDate(next.getDate() + 1);
  return next.toISOString();
};

/** The API's query parameters for a state (page and size apart). */
export function apiQuery(state: SearchState) {
  const min = price(state.minPrice);
  const max = price(state.maxPrice);
  return {
    q: text(state.q),
    mode: state.mode,
    account: text(state.account),
    conversation: text(state.conversation),
    contact: text(state.contact),
    direction: text(state.direction),
    kind: text(state.kind),
    type: state.type === "" ? undefined : state.type,
    brand: text(state.brand),
    model: text(state.model),
    reference: text(state.reference),
    since: dayStart(state.since),
    until: dayEnd(state.until),
    min_price: Number.isNaN(min) ? undefined : min,
    max_price: Number.isNaN(max) ? undefined : max,
    currency: text(state.currency)?.toUpperCase(),
  };
}

/** The facets the page shows, each the filter its values set. */
export const FACETS = ["account", "direction", "kind", "type", "brand", "model"] as const;
export type Facet = (typeof FACETS)[number];

/** The state with a facet's value applied, or removed when it was the one applied already. */
export function toggleFacet(state: SearchState, facet: Facet, value: string): SearchState {
  return { ...state, [facet]: state[facet] === value ? "" : value };
}

export interface Piece {
  text: string;
  marked: boolean;
}

/**
 * Cuts a snippet into plain and marked pieces. The server gives highlights in characters (Unicode code
 * points, `end` excluded); JavaScript strings count UTF-16 units, so an emoji before a word would shift
 * the mark by one if the offsets were used as they are. Overlapping or touching highlights merge;
 * any out of the snippet or empty is ignored. The pieces are text: nothing is ever read as HTML.
 */
export function highlightPieces(snippet: string, highlights: readonly Highlight[]): Piece[] {
  const chars = Array.from(snippet);
  const spans = highlights
    .filter((h) => Number.isInteger(h.start) && Number.isInteger(h.end) && h.start >= 0 && h.end > h.start)
    .map((h) => ({ start: h.start, end: Math.min(h.end, chars.length) }))
    .filter((h) => h.start < chars.length)
    .sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  const pieces: Piece[] = [];
  let at = 0;
  for (const { start, end } of merged) {
    if (start > at) pieces.push({ text: chars.slice(at, start).join(""), marked: false });
    pieces.push({ text: chars.slice(start, end).join(""), marked: true });
    at = end;
  }
  if (at < chars.length) pieces.push({ text: chars.slice(at).join(""), marked: false });
  return pieces;
}

export type Reason = { key: "search.why.exact" | "search.why.words" | "search.why.meaning" } | { key: "search.why.keyword" | "search.why.semantic"; rank: number };

/**
 * Why a hit is there, in the order the ranking weighs them: an exact reference, then each ranking that
 * found it, with its place when the server knows it (keyword pages are keyed, so words alone give a
 * score without a place).
 */
export function reasons(scores: HitScores): Reason[] {
  const out: Reason[] = [];
  if (scores.exact) out.push({ key: "search.why.exact" });
  if (scores.keyword_rank != null) out.push({ key: "search.why.keyword", rank: scores.keyword_rank });
  else if (scores.keyword != null) out.push({ key: "search.why.words" });
  if (scores.semantic_rank != null) out.push({ key: "search.why.semantic", rank: scores.semantic_rank });
  else if (scores.semantic != null) out.push({ key: "search.why.meaning" });
  return out;
}
