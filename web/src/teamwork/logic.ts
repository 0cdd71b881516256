/**
 * Team work without React: canned replies (the `/` picker's search, placeholders filled), `@` mentions in
 * a note, snooze times, and the inbox's team views kept in the address.
 */

/** A conversation's status, as the server names it. */
export const STATUSES = ["open", "pending", "snoozed", "resolved"] as const;
export type ConversationStatus = (typeof STATUSES)[number];

/** Whose conversations the inbox lists. */
export const VIEWS = ["mine", "unassigned", "all"] as const;
export type InboxView = (typeof VIEWS)[number];

/** The inbox's team filters: whose, which status (`null`: any), which label, which team. */
export interface TeamFilter {
  view: InboxView;
  status: ConversationStatus | null;
  label: string | null;
  team: string | null;
}

/** What the inbox shows when the address says nothing: every open conversation. */
export const DEFAULT_TEAM_FILTER: TeamFilter = { view: "all", status: "open", label: null, team: null };

/** The status `any` in the address: every status. */
const ANY = "any";

/** The team filters in an address's query string (`?view=mine&status=pending&label=…&team=…`); others are kept out. */
export function teamFilterFromQuery(query: string): TeamFilter {
  const params = new URLSearchParams(query);
  const view = params.get("view");
  const status = params.get("status");
  const label = params.get("label");
  const team = params.get("team");
  return {
    view: (VIEWS as readonly string[]).includes(view ?? "") ? (view as InboxView) : DEFAULT_TEAM_FILTER.view,
    status:
      status === ANY ? null : (STATUSES as readonly string[]).includes(status ?? "") ? (status as ConversationStatus) : DEFAULT_TEAM_FILTER.status,
    label: label === null || label === "" ? null : label,
    team: team === null || team === "" ? null : team,
  };
}

/** The query string (with its `?`, or "" for the defaults) that says `filter`. */
export function teamFilterQuery(filter: TeamFilter): string {
  const params = new URLSearchParams();
  if (filter.view !== DEFAULT_TEAM_FILTER.view) params.set("view", filter.view);
  if (filter.status !== DEFAULT_TEAM_FILTER.status) params.set("status", filter.status ?? ANY);
  if (filter.label !== null) params.set("label", filter.label);
  if (filter.team !== null) params.set("team", filter.team);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/** What a canned reply may name; each is `{{name}}` in its text. */
export interface PlaceholderValues {
  contact_name: string;
  agent_name: string;
  number_name: string;
}

/** The reply's text with its placeholders filled; an unknown one is left as written. */
export function fillPlaceholders(text: string, values: PlaceholderValues): string {
  return text.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (whole, name: string) =>
    name in values ? values[name as keyof PlaceholderValues] : whole,
  );
}

/** What is searched for when the text is `/` and a word at its very start; otherwise `null`. */
export function slashQuery(text: string): string | null {
  const match = /^\/(\S*)$/.exec(text);
  return match ? (match[1] ?? "") : null;
}

interface Searchable {
  shortcut: string;
  text: string;
}

/** The replies that match what was typed after `/`: shortcuts that start with it first, then those whose
 * shortcut or text holds it, each group by shortcut. */
export function matchReplies<R extends Searchable>(replies: readonly R[], query: string): R[] {
  const q = query.trim().toLowerCase();
  const byShortcut = (a: R, b: R) => a.shortcut.localeCompare(b.shortcut);
  if (q === "") return [...replies].sort(byShortcut);
  const starts = replies.filter((r) => r.shortcut.toLowerCase().startsWith(q)).sort(byShortcut);
  const holds = replies
    .filter((r) => !starts.includes(r) && (r.shortcut.toLowerCase().includes(q) || r.text.toLowerCase().includes(q)))
    .sort(byShortcut);
  return [...starts, ...holds];
}

/** The `@word` being typed just before the cursor: where it starts and what it says so far; else `null`. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const match = /(^|\s)@([^\s@]*)$/.exec(text.slice(0, caret));
  if (!match) return null;
  const query = match[2] ?? "";
  return { start: caret - query.length - 1, query };
}

/** The text with the `@word` being typed replaced by `@name` and a space, and the cursor after it. */
export function insertMention(text: string, at: { start: number; query: string }, name: string): { text: string; caret: number } {
  const end = at.start + 1 + at.query.length;
  const inserted = /^\s/.test(text.slice(end)) ? `@${name}` : `@${name} `;
  return { text: text.slice(0, at.start) + inserted + text.slice(end), caret: at.start + inserted.length };
}

/** The people picked while writing whose `@name` is still in the text (in the order picked, once each). */
export function mentionsIn(text: string, picked: readonly { id: string; name: string }[]): string[] {
  const ids: string[] = [];
  for (const p of picked) if (text.includes(`@${p.name}`) && !ids.includes(p.id)) ids.push(p.id);
  return ids;
}

/** The snooze choices offered. */
export const SNOOZES = ["hour", "tomorrow", "nextWeek", "customer"] as const;
export type Snooze = (typeof SNOOZES)[number];

/**
 * When a snooze ends, in the reader's time: in an hour, tomorrow at 9:00, next Monday at 9:00, or `null`
 * for "until the customer writes".
 */
export function snoozeUntil(choice: Snooze, now: Date): Date | null {
  switch (choice) {
    case "hour":
      return new Date(now.getTime() + 60 * 60 * 1000);
    case "tomorrow": {
      const at = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9, 0, 0, 0);
      return at;
    }
    case "nextWeek": {
      // Monday is 1; from a Monday, the next one is a week on.
      const days = ((8 - now.getDay()) % 7) || 7;
      return new Date(now.getFullYear(), now.getMonth(), now.getDate() + days, 9, 0, 0, 0);
    }
    case "customer":
      return null;
  }
}

/** Up to two initials of a person's name (or of their email). */
export function personInitials(name: string): string {
  const words = name.split(/[\s@._-]+/).filter((w) => /\p{L}/u.test(w));
  const first = [...(words[0] ?? "?")][0] ?? "?";
  const last = words.length > 1 ? ([...(words[words.length - 1] ?? "")][0] ?? "") : "";
  return (first + last).toUpperCase();
}

/** A person as shown: their name, else their email. */
export function personName(person: { name?: string | null; email: string }): string {
  return person.name?.trim() ? person.name : person.email;
}

/** `#rrggbb`, the only colour the server accepts for a label. */
export function validColour(colour: string): boolean {
  return /^#[0-9a-fA-F]{6}$/.test(colour);
}

/** A text colour that reads on a label's colour: dark on light colours, light on dark ones. */
export function textOn(colour: string): string {
  if (!validColour(colour)) return "#000000";
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16) / 255) as [number, number, number];
  const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  // Black text has the better contrast above this luminance (WCAG's formula, equal contrast point).
  return luminance > 0.179 ? "#000000" : "#ffffff";
}

/** A canned reply's shortcut as the server accepts it: 1 to 32 of a-z, 0-9, `_` and `-`. */
export function validShortcut(shortcut: string): boolean {
  return /^[a-z0-9_-]{1,32}$/.test(shortcut);
}

/** The conversation to open after `id` is done with: the one below it in the list, else the one above. */
export function nextConversation(rows: readonly { id: string }[], id: string): string | null {
  const at = rows.findIndex((r) => r.id === id);
  if (at < 0) return rows[0]?.id ?? null;
  return rows[at + 1]?.id ?? rows[at - 1]?.id ?? null;
}
