import type { Limits, Schemas } from "../api/client";

type InteractiveLimits = Limits["interactive"];
export type ButtonsContent = Schemas["OutboundContent_ButtonsMessage"];
export type ListContent = Schemas["OutboundContent_ListMessage"];

/** What the agent types in the reply-buttons or list builder; empty optional texts are left out. */
export interface InteractiveDraft {
  header: string;
  body: string;
  footer: string;
}

export interface ButtonsDraft extends InteractiveDraft {
  buttons: string[];
}

export interface ListDraft extends InteractiveDraft {
  /** The text of the button that opens the list. */
  button: string;
  sections: { title: string; rows: { title: string; description: string }[] }[];
}

/** One thing Meta would refuse, named by the field it is about so the builder shows it there. */
export type Problem =
  | { field: string; rule: "required" }
  | { field: string; rule: "tooLong"; max: number }
  | { field: string; rule: "repeated" }
  | { field: string; rule: "count"; min: number; max: number };

/** Characters as Meta counts them (code points, so an emoji is one or two, never a UTF-16 pair's two). */
export function length(text: string): number {
  return [...text].length;
}

function texts(draft: InteractiveDraft, limits: InteractiveLimits, problems: Problem[]) {
  if (draft.body.trim() === "") problems.push({ field: "body", rule: "required" });
  for (const [field, max] of [
    ["header", limits.header],
    ["body", limits.body],
    ["footer", limits.footer],
  ] as const) {
    if (length(draft[field].trim()) > max) problems.push({ field, rule: "tooLong", max });
  }
}

function titled(field: string, title: string, max: number, seen: Set<string>, problems: Problem[]) {
  const text = title.trim();
  if (text === "") problems.push({ field, rule: "required" });
  else if (length(text) > max) problems.push({ field, rule: "tooLong", max });
  else if (seen.has(text.toLowerCase())) problems.push({ field, rule: "repeated" });
  seen.add(text.toLowerCase());
}

/** What Meta would refuse in a reply-buttons message; none when it can be sent. */
export function buttonsProblems(draft: ButtonsDraft, limits: InteractiveLimits): Problem[] {
  const problems: Problem[] = [];
  texts(draft, limits, problems);
  if (draft.buttons.length < 1 || draft.buttons.length > limits.buttons) {
    problems.push({ field: "buttons", rule: "count", min: 1, max: limits.buttons });
  }
  const seen = new Set<string>();
  draft.buttons.forEach((title, i) => titled(`buttons.${i}`, title, limits.button_title, seen, problems));
  return problems;
}

/** What Meta would refuse in a list message; none when it can be sent. */
export function listProblems(draft: ListDraft, limits: InteractiveLimits): Problem[] {
  const problems: Problem[] = [];
  texts(draft, limits, problems);
  const button = draft.button.trim();
  if (button === "") problems.push({ field: "button", rule: "required" });
  else if (length(button) > limits.list_button) problems.push({ field: "button", rule: "tooLong", max: limits.list_button });
  if (draft.sections.length < 1 || draft.sections.length > limits.list_sections) {
    problems.push({ field: "sections", rule: "count", min: 1, max: limits.list_sections });
  }
  const rows = draft.sections.reduce((n, s) => n + s.rows.length, 0);
  if (rows < 1 || rows > limits.list_rows) problems.push({ field: "rows", rule: "count", min: 1, max: limits.list_rows });
  const several = draft.sections.length > 1;
  const seen = new Set<string>();
  draft.sections.forEach((section, s) => {
    const title = section.title.trim();
    if (several && title === "") problems.push({ field: `sections.${s}.title`, rule: "required" });
    if (length(title) > limits.list_section_title) {
      problems.push({ field: `sections.${s}.title`, rule: "tooLong", max: limits.list_section_title });
    }
    section.rows.forEach((row, r) => {
      const at = `sections.${s}.rows.${r}`;
      titled(`${at}.title`, row.title, limits.list_row_title, seen, problems);
      if (length(row.description.trim()) > limits.list_row_description) {
        problems.push({ field: `${at}.description`, rule: "tooLong", max: limits.list_row_description });
      }
    });
  });
  return problems;
}

function optional(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed === "" ? undefined : trimmed;
}

/**
 * The message to send. A button's or row's id comes back in the customer's answer; it is made from its
 * position and title, so an answer says which choice was tapped even after the titles are reused.
 */
export function buttonsContent(draft: ButtonsDraft): ButtonsContent {
  return {
    kind: "buttons",
    header: optional(draft.header),
    body: draft.body.trim(),
    footer: optional(draft.footer),
    buttons: draft.buttons.map((title, i) => ({ id: `${i + 1}:${title.trim()}`, title: title.trim() })),
  };
}

export function listContent(draft: ListDraft): ListContent {
  return {
    kind: "list",
    header: optional(draft.header),
    body: draft.body.trim(),
    footer: optional(draft.footer),
    button: draft.button.trim(),
    sections: draft.sections.map((section, s) => ({
      title: optional(section.title),
      rows: section.rows.map((row, r) => ({
        id: `${s + 1}.${r + 1}:${row.title.trim()}`,
        title: row.title.trim(),
        description: optional(row.description),
      })),
    })),
  };
}
