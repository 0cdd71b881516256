import type { Schemas } from "../api/client";
import type { MessageKey } from "../i18n/en";

/**
 * A new message template as the form holds it, checked against Meta's documented limits before it is
 * sent for review (the server checks only the name, category and body), and turned into Meta's
 * `components`. Variables are numbered `{{1}}`, `{{2}}`, … and each needs an example, which Meta's
 * reviewers read.
 */
export const LIMITS = {
  name: 512,
  header: 60,
  body: 1024,
  footer: 60,
  buttons: 10,
  urlButtons: 2,
  phoneButtons: 1,
  buttonText: 25,
  url: 2000,
  phone: 20,
} as const;

/** The categories a template can be created in here (authentication templates have Meta's fixed text). */
export const CATEGORIES = ["UTILITY", "MARKETING"] as const;
export type Category = (typeof CATEGORIES)[number];

/** Languages offered first; Meta accepts others by code. */
export const LANGUAGES = ["en_US", "en_GB", "fr", "de", "es", "it", "nl", "pt_BR", "pt_PT", "ar", "hi", "id", "tr"] as const;

export type ButtonKind = "QUICK_REPLY" | "URL" | "PHONE_NUMBER";

export interface ButtonDraft {
  kind: ButtonKind;
  text: string;
  /** URL buttons: the address, which may end with `{{1}}`. */
  url: string;
  /** URL buttons: the whole address with an example in place of `{{1}}`. */
  urlExample: string;
  /** Phone buttons: the number called, with its country code. */
  phone: string;
}

export interface TemplateDraft {
  name: string;
  language: string;
  category: Category;
  /** Empty for no header. */
  header: string;
  headerExample: string;
  body: string;
  /** The example of each body variable, by its number. */
  bodyExamples: Record<string, string>;
  footer: string;
  buttons: ButtonDraft[];
}

export const EMPTY_DRAFT: TemplateDraft = {
  name: "",
  language: "en_US",
  category: "UTILITY",
  header: "",
  headerExample: "",
  body: "",
  bodyExamples: {},
  footer: "",
  buttons: [],
};

export function newButton(kind: ButtonKind): ButtonDraft {
  return { kind, text: "", url: "", urlExample: "", phone: "" };
}

/** Which field a problem is about (`button.2.text` for the third button's text). */
export interface Problem {
  field: string;
  key: MessageKey;
  vars?: Record<string, string | number>;
}

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The variables of a text as written (`{{1}}` → "1"), first appearance first, each once. */
export function variablesOf(text: string): string[] {
  const seen: string[] = [];
  for (const match of text.matchAll(VARIABLE)) {
    const key = match[1] ?? "";
    if (!seen.includes(key)) seen.push(key);
  }
  return seen;
}

/** Whether a text's variables are exactly `{{1}}` … `{{n}}` (in any order of appearance). */
function numberedFromOne(keys: string[]): boolean {
  const numbers = keys.map((k) => (/^\d+$/.test(k) ? Number(k) : NaN));
  if (numbers.some(Number.isNaN)) return false;
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted.every((n, i) => n === i + 1);
}

/** The body's variable numbers in order: the examples to ask for. */
export function bodyVariables(draft: Pick<TemplateDraft, "body">): string[] {
  const keys = variablesOf(draft.body);
  return numberedFromOne(keys) ? [...keys].sort((a, b) => Number(a) - Number(b)) : [];
}

function length(text: string): number {
  return [...text].length;
}

/** Everything Meta would refuse, field by field; empty when the draft may be sent. */
export function draftProblems(draft: TemplateDraft): Problem[] {
  const problems: Problem[] = [];
  const add = (field: string, key: MessageKey, vars?: Record<string, string | number>) => problems.push({ field, key, vars });

  const name = draft.name;
  if (name === "") add("name", "numbers.problem.required");
  else if (!/^[a-z0-9_]+$/.test(name)) add("name", "numbers.problem.name");
  else if (name.length > LIMITS.name) add("name", "numbers.problem.tooLong", { max: LIMITS.name });

  if (!/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/.test(draft.language)) add("language", "numbers.problem.language");

  if (draft.header.trim() !== "") {
    const keys = variablesOf(draft.header);
    if (length(draft.header) > LIMITS.header) add("header", "numbers.problem.tooLong", { max: LIMITS.header });
    if (keys.length > 1 || (keys.length === 1 && keys[0] !== "1")) add("header", "numbers.problem.headerVariable");
    else if (keys.length === 1 && draft.headerExample.trim() === "") add("headerExample", "numbers.problem.example");
  }

  const body = draft.body.trim();
  if (body === "") add("body", "numbers.problem.required");
  else {
    const keys = variablesOf(body);
    if (length(draft.body) > LIMITS.body) add("body", "numbers.problem.tooLong", { max: LIMITS.body });
    if (!numberedFromOne(keys)) add("body", "numbers.problem.variables");
    else {
      if (/^\{\{[^{}]*\}\}/.test(body) || /\{\{[^{}]*\}\}$/.test(body)) add("body", "numbers.problem.variableEdge");
      for (const key of keys) {
        if ((draft.bodyExamples[key] ?? "").trim() === "") add(`bodyExample.${key}`, "numbers.problem.example");
      }
    }
  }

  if (length(draft.footer) > LIMITS.footer) add("footer", "numbers.problem.tooLong", { max: LIMITS.footer });
  if (variablesOf(draft.footer).length > 0) add("footer", "numbers.problem.footerVariable");

  if (draft.buttons.length > LIMITS.buttons) add("buttons", "numbers.problem.buttons", { max: LIMITS.buttons });
  if (draft.buttons.filter((b) => b.kind === "URL").length > LIMITS.urlButtons) {
    add("buttons", "numbers.problem.urlButtons", { max: LIMITS.urlButtons });
  }
  if (draft.buttons.filter((b) => b.kind === "PHONE_NUMBER").length > LIMITS.phoneButtons) {
    add("buttons", "numbers.problem.phoneButtons", { max: LIMITS.phoneButtons });
  }
  const texts = new Set<string>();
  draft.buttons.forEach((button, i) => {
    const text = button.text.trim();
    if (text === "") add(`button.${i}.text`, "numbers.problem.required");
    else if (length(text) > LIMITS.buttonText) add(`button.${i}.text`, "numbers.problem.tooLong", { max: LIMITS.buttonText });
    else if (texts.has(text)) add(`button.${i}.text`, "numbers.problem.sameButton");
    texts.add(text);
    if (button.kind === "URL") urlProblems(button, i, add);
    if (button.kind === "PHONE_NUMBER") {
      if (!/^\+[1-9]\d{5,18}$/.test(button.phone.replace(/[\s-]/g, ""))) add(`button.${i}.phone`, "numbers.problem.phone");
    }
  });
  return problems;
}

function urlProblems(button: ButtonDraft, i: number, add: (field: string, key: MessageKey, vars?: Record<string, string | number>) => void) {
  const url = button.url.trim();
  if (!/^https?:\/\/[^\s/]+\.[^\s]+$/.test(url)) {
    add(`button.${i}.url`, "numbers.problem.url");
    return;
  }
  if (length(url) > LIMITS.url) add(`button.${i}.url`, "numbers.problem.tooLong", { max: LIMITS.url });
  const keys = variablesOf(url);
  if (keys.length === 0) return;
  if (keys.length > 1 || keys[0] !== "1" || !url.endsWith("}}")) add(`button.${i}.url`, "numbers.problem.urlVariable");
  else if (!/^https?:\/\/\S+$/.test(button.urlExample.trim()) || variablesOf(button.urlExample).length > 0) {
    add(`button.${i}.urlExample`, "numbers.problem.urlExample");
  }
}

/** The request that submits the draft for review: Meta's components, buttons grouped as Meta requires. */
export function newTemplate(draft: TemplateDraft): Schemas["NewTemplate"] {
  const components: unknown[] = [];
  const header = draft.header.trim();
  if (header !== "") {
    components.push({
      type: "HEADER",
      format: "TEXT",
      text: header,
      ...(variablesOf(header).length > 0 ? { example: { header_text: [draft.headerExample.trim()] } } : {}),
    });
  }
  const body = draft.body.trim();
  const keys = bodyVariables({ body });
  components.push({
    type: "BODY",
    text: body,
    ...(keys.length > 0 ? { example: { body_text: [keys.map((k) => (draft.bodyExamples[k] ?? "").trim())] } } : {}),
  });
  const footer = draft.footer.trim();
  if (footer !== "") components.push({ type: "FOOTER", text: footer });
  if (draft.buttons.length > 0) {
    // Meta refuses quick replies mixed in between call-to-action buttons: quick replies go first.
    const order: ButtonKind[] = ["QUICK_REPLY", "URL", "PHONE_NUMBER"];
    const buttons = order.flatMap((kind) => draft.buttons.filter((b) => b.kind === kind)).map(buttonOf);
    components.push({ type: "BUTTONS", buttons });
  }
  return { name: draft.name, language: draft.language, category: draft.category, components };
}

function buttonOf(button: ButtonDraft): unknown {
  const text = button.text.trim();
  switch (button.kind) {
    case "QUICK_REPLY":
      return { type: "QUICK_REPLY", text };
    case "PHONE_NUMBER":
      return { type: "PHONE_NUMBER", text, phone_number: button.phone.replace(/[\s-]/g, "") };
    case "URL": {
      const url = button.url.trim();
      return variablesOf(url).length > 0
        ? { type: "URL", text, url, example: [button.urlExample.trim()] }
        : { type: "URL", text, url };
    }
  }
}

/** The message as a customer would read it, the examples in place of the variables. */
export function draftPreview(draft: TemplateDraft): { header: string | null; body: string; footer: string | null; buttons: string[] } {
  const fill = (text: string, values: Record<string, string>) =>
    text.replace(VARIABLE, (whole, key: string) => values[key]?.trim() || whole);
  const header = draft.header.trim();
  const footer = draft.footer.trim();
  return {
    header: header === "" ? null : fill(header, { "1": draft.headerExample }),
    body: fill(draft.body.trim(), draft.bodyExamples),
    footer: footer === "" ? null : footer,
    buttons: draft.buttons.map((b) => b.text.trim()).filter((t) => t !== ""),
  };
}
