import type { Schemas } from "../api/client";

type Template = Schemas["Template"];

/** The texts of a template as Meta lists it: a text header, the body, the footer. */
export interface TemplateTexts {
  header: string | null;
  body: string;
  footer: string | null;
}

function component(template: Template, type: string): Record<string, unknown> | undefined {
  return template.components.find(
    (c): c is Record<string, unknown> =>
      typeof c === "object" && c !== null && String((c as { type?: unknown }).type ?? "").toUpperCase() === type,
  );
}

function textOf(c: Record<string, unknown> | undefined): string | null {
  return c && typeof c.text === "string" ? c.text : null;
}

export function templateTexts(template: Template): TemplateTexts | null {
  const body = textOf(component(template, "BODY"));
  if (body === null) return null;
  const header = component(template, "HEADER");
  const format = header && typeof header.format === "string" ? header.format.toUpperCase() : "TEXT";
  return { header: format === "TEXT" ? textOf(header) : null, body, footer: textOf(component(template, "FOOTER")) };
}

/** The placeholders of a text in the order Meta numbers them: `{{1}}`, `{{2}}`, … or by name. */
export function placeholders(text: string): string[] {
  const keys: string[] = [];
  for (const match of text.matchAll(/\{\{\s*([\w]+)\s*\}\}/g)) {
    const key = match[1]!;
    if (!keys.includes(key)) keys.push(key);
  }
  const numbered = keys.every((k) => /^\d+$/.test(k));
  return numbered ? keys.sort((a, b) => Number(a) - Number(b)) : keys;
}

/** The text with each placeholder given a value in its place; one left empty stays as it is. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*([\w]+)\s*\}\}/g, (whole, key: string) => {
    const value = values[key]?.trim();
    return value ? value : whole;
  });
}

/** The values typed for a template's placeholders: the header's and the body's are numbered apart. */
export interface TemplateValues {
  header: Record<string, string>;
  body: Record<string, string>;
}

export type TemplatePart = "header" | "body";

/** The placeholders to ask for: the header's, then the body's. */
export function templateFields(texts: TemplateTexts): { part: TemplatePart; key: string }[] {
  return [
    ...placeholders(texts.header ?? "").map((key) => ({ part: "header" as const, key })),
    ...placeholders(texts.body).map((key) => ({ part: "body" as const, key })),
  ];
}

/** The `components` of a template message: each text part's parameters, in the order Meta expects. */
export function templateComponents(texts: TemplateTexts, values: TemplateValues): unknown[] {
  const parts: unknown[] = [];
  for (const [type, text] of [["header", texts.header], ["body", texts.body]] as const) {
    if (text === null) continue;
    const keys = placeholders(text);
    if (keys.length === 0) continue;
    parts.push({
      type,
      parameters: keys.map((key) => ({
        type: "text",
        text: values[type][key]?.trim() ?? "",
        ...(/^\d+$/.test(key) ? {} : { parameter_name: key }),
      })),
    });
  }
  return parts;
}

/** The message as the customer will read it. */
export function templatePreview(texts: TemplateTexts, values: TemplateValues): string {
  return [texts.header && fill(texts.header, values.header), fill(texts.body, values.body), texts.footer]
    .filter((x): x is string => !!x)
    .join("\n");
}
