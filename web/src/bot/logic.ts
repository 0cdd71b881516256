import { ApiError, type Schemas } from "../api/client";
import type { MessageKey } from "../i18n/en";

/** A number's bot settings as the API holds them (`GET /accounts/{id}/bot`). */
export type BotSettings = Schemas["BotSettings"];
export type BotConfig = Schemas["BotConfig"];
export type Playbook = NonNullable<BotSettings["playbook"]>;
export type Profile = NonNullable<BotSettings["profile"]>;
export type CustomField = NonNullable<BotSettings["custom_fields"]>[number];
export type ConversationBot = Schemas["ConversationBot"];
export type BotTurn = Schemas["BotTurn"];

export type PlaybookKey =
  | "system_rules"
  | "company_information"
  | "offers"
  | "conditions"
  | "procedures"
  | "faq"
  | "special_cases"
  | "useful_links"
  | "escalation_procedure"
  | "bot_rules"
  | "pitch";

/**
 * The playbook's ten sections and the pitch, in the server's order, each with the title the server puts
 * in the prompt (and lists in a preview's `sections`) and the label and hint the editor shows.
 */
export const PLAYBOOK: readonly { key: PlaybookKey; title: string; label: MessageKey; hint: MessageKey }[] = [
  { key: "system_rules", title: "System rules", label: "bot.playbook.system_rules", hint: "bot.playbook.system_rules.hint" },
  { key: "company_information", title: "Company information", label: "bot.playbook.company_information", hint: "bot.playbook.company_information.hint" },
  { key: "offers", title: "Offers", label: "bot.playbook.offers", hint: "bot.playbook.offers.hint" },
  { key: "conditions", title: "Conditions and required documents", label: "bot.playbook.conditions", hint: "bot.playbook.conditions.hint" },
  { key: "procedures", title: "Procedures", label: "bot.playbook.procedures", hint: "bot.playbook.procedures.hint" },
  { key: "faq", title: "Frequently asked questions", label: "bot.playbook.faq", hint: "bot.playbook.faq.hint" },
  { key: "special_cases", title: "Special cases", label: "bot.playbook.special_cases", hint: "bot.playbook.special_cases.hint" },
  { key: "useful_links", title: "Useful links", label: "bot.playbook.useful_links", hint: "bot.playbook.useful_links.hint" },
  { key: "escalation_procedure", title: "Human escalation procedure", label: "bot.playbook.escalation_procedure", hint: "bot.playbook.escalation_procedure.hint" },
  { key: "bot_rules", title: "Bot rules", label: "bot.playbook.bot_rules", hint: "bot.playbook.bot_rules.hint" },
  { key: "pitch", title: "Pitch", label: "bot.playbook.pitch", hint: "bot.playbook.pitch.hint" },
];

export type ProfileKey = "name" | "description" | "address" | "opening_hours";
export const PROFILE: readonly { key: ProfileKey; label: MessageKey; multiline: boolean }[] = [
  { key: "name", label: "bot.profile.name", multiline: false },
  { key: "description", label: "bot.profile.description", multiline: true },
  { key: "address", label: "bot.profile.address", multiline: false },
  { key: "opening_hours", label: "bot.profile.opening_hours", multiline: true },
];

/** The server's limits (`actors/src/bot/settings.rs`): said before sending, checked again there. */
export const LIMITS = { field: 20_000, customFields: 50, history: 50, windowMinutes: 24 * 60 } as const;

/** The form: the settings with every number and optional text as typed, so a half-typed value stays. */
export interface BotDraft {
  enabled: boolean;
  profile: Record<ProfileKey, string>;
  playbook: Record<PlaybookKey, string>;
  knowledge: string;
  custom_fields: { name: string; value: string }[];
  fallback_phrase: string;
  attachment_phrase: string;
  escalation_number: string;
  confidence_threshold: string;
  history_messages: string;
  max_replies: string;
  reply_window_minutes: string;
  model: string;
}

/** A field the form or the server refuses: `field` is the server's name for it (`playbook.faq`). */
export interface Problem {
  field: string;
  key?: MessageKey;
  vars?: Record<string, string | number>;
  /** The server's own words, when it refused the save. */
  text?: string;
}

export function draftFromSettings(s: BotSettings): BotDraft {
  const profile = (s.profile ?? {}) as Partial<Record<ProfileKey, string>>;
  const playbook = (s.playbook ?? {}) as Partial<Record<PlaybookKey, string>>;
  return {
    enabled: s.enabled ?? false,
    profile: Object.fromEntries(PROFILE.map(({ key }) => [key, profile[key] ?? ""])) as Record<ProfileKey, string>,
    playbook: Object.fromEntries(PLAYBOOK.map(({ key }) => [key, playbook[key] ?? ""])) as Record<PlaybookKey, string>,
    knowledge: s.knowledge ?? "",
    custom_fields: (s.custom_fields ?? []).map((f) => ({ name: f.name, value: f.value })),
    fallback_phrase: s.fallback_phrase ?? "",
    attachment_phrase: s.attachment_phrase ?? "",
    escalation_number: s.escalation_number ?? "",
    confidence_threshold: String(s.confidence_threshold ?? ""),
    history_messages: String(s.history_messages ?? ""),
    max_replies: String(s.max_replies ?? ""),
    reply_window_minutes: String(s.reply_window_minutes ?? ""),
    model: s.model ?? "",
  };
}

/** A whole number typed in a field, or null when it is not one. */
function wholeNumber(text: string): number | null {
  return /^\s*\d+\s*$/.test(text) ? Number(text.trim()) : null;
}

/**
 * The settings the form says, or what is wrong with it. The checks are the server's (it checks them
 * again and names the field it refuses): numbers in their ranges, no nameless custom field, phrases not
 * empty, no text over the limit.
 */
export function settingsFromDraft(d: BotDraft): { settings: BotSettings; problems: Problem[] } {
  const problems: Problem[] = [];
  const long = (field: string, value: string) => {
    const count = [...value].length;
    if (count > LIMITS.field) problems.push({ field, key: "bot.problem.tooLong", vars: { max: LIMITS.field } });
  };
  for (const { key } of PROFILE) long(`profile.${key}`, d.profile[key]);
  for (const { key } of PLAYBOOK) long(`playbook.${key}`, d.playbook[key]);
  long("knowledge", d.knowledge);
  if (d.custom_fields.length > LIMITS.customFields) {
    problems.push({ field: "custom_fields", key: "bot.problem.tooManyFields", vars: { max: LIMITS.customFields } });
  }
  d.custom_fields.forEach((f, i) => {
    if (f.name.trim() === "") problems.push({ field: `custom_fields[${i}].name`, key: "bot.problem.required" });
    long(`custom_fields[${i}].value`, f.value);
  });
  for (const field of ["fallback_phrase", "attachment_phrase"] as const) {
    if (d[field].trim() === "") problems.push({ field, key: "bot.problem.phrase" });
  }
  const threshold = Number(d.confidence_threshold.trim().replace(",", "."));
  if (d.confidence_threshold.trim() === "" || !Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    problems.push({ field: "confidence_threshold", key: "bot.problem.threshold" });
  }
  const history = wholeNumber(d.history_messages);
  if (history === null || history > LIMITS.history) {
    problems.push({ field: "history_messages", key: "bot.problem.range", vars: { min: 0, max: LIMITS.history } });
  }
  const replies = wholeNumber(d.max_replies);
  if (replies === null || replies < 1 || replies > 1000) {
    problems.push({ field: "max_replies", key: "bot.problem.range", vars: { min: 1, max: 1000 } });
  }
  const window = wholeNumber(d.reply_window_minutes);
  if (window === null || window < 1 || window > LIMITS.windowMinutes) {
    problems.push({ field: "reply_window_minutes", key: "bot.problem.range", vars: { min: 1, max: LIMITS.windowMinutes } });
  }
  const model = d.model.trim();
  if (model !== "" && !/^[A-Za-z0-9._:/-]{1,100}$/.test(model)) problems.push({ field: "model", key: "bot.problem.model" });
  const settings: BotSettings = {
    enabled: d.enabled,
    profile: { ...d.profile },
    playbook: { ...d.playbook },
    knowledge: d.knowledge,
    custom_fields: d.custom_fields.map((f) => ({ name: f.name, value: f.value })),
    fallback_phrase: d.fallback_phrase,
    attachment_phrase: d.attachment_phrase,
    escalation_number: d.escalation_number.trim() === "" ? null : d.escalation_number.trim(),
    confidence_threshold: Number.isFinite(threshold) ? threshold : 0,
    history_messages: history ?? 0,
    max_replies: replies ?? 1,
    reply_window_minutes: window ?? 1,
    model: model === "" ? null : model,
  };
  return { settings, problems };
}

/** The playbook sections the form holds text in, by the titles the prompt gives them. */
export function filledSections(d: BotDraft): string[] {
  return PLAYBOOK.filter(({ key }) => d.playbook[key].trim() !== "").map(({ title }) => title);
}

/**
 * The playbook's sections as a preview shows them: each with whether the prompt holds it. The prompt's
 * other parts (profile, knowledge, fields, Q&A) are listed after, as the server names them.
 */
export function previewSections(sections: readonly string[]): { playbook: { title: string; included: boolean }[]; other: string[] } {
  const titles = new Set(PLAYBOOK.map((p) => p.title));
  return {
    playbook: PLAYBOOK.map(({ title }) => ({ title, included: sections.includes(title) })),
    other: sections.filter((s) => !titles.has(s)),
  };
}

/** Whether the form differs from the saved settings (numbers compared as typed). */
export function draftChanged(saved: BotSettings, draft: BotDraft): boolean {
  return JSON.stringify(draftFromSettings(saved)) !== JSON.stringify(draft);
}

/** The field a refused save names (`error.details.field`), with the server's words. */
export function serverProblem(error: unknown): Problem | null {
  if (!(error instanceof ApiError) || error.status !== 400) return null;
  const details = error.details as { field?: unknown } | null;
  if (typeof details?.field !== "string") return null;
  // "playbook.faq: is 20001 characters long…": the field is shown beside it, so only the reason is said.
  const prefix = `${details.field}: `;
  const text = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return { field: details.field, text };
}

/** Whether a save was refused because someone saved since the form was loaded. */
export function isStale(error: unknown): boolean {
  return error instanceof ApiError && error.status === 409 && error.code === "stale_settings";
}

/** The bot's turns by the message each sent (its reply or the fallback phrase). */
export function turnsByMessage(turns: readonly BotTurn[]): Map<string, BotTurn> {
  const map = new Map<string, BotTurn>();
  for (const turn of turns) if (turn.message_id) map.set(turn.message_id, turn);
  return map;
}

/** The hand-over the conversation is in: the newest turn, when it escalated and the bot is still off. */
export function currentEscalation(bot: ConversationBot): BotTurn | null {
  if (bot.enabled) return null;
  const newest = bot.turns[0];
  return newest && newest.outcome === "escalated" ? newest : null;
}

/** Why the bot handed over, in words of the reader's language (unknown reasons as the server said them). */
export const ESCALATION_REASONS: Record<string, MessageKey> = {
  low_confidence: "bot.reason.low_confidence",
  needs_human: "bot.reason.needs_human",
  model_failed: "bot.reason.model_failed",
  blocked: "bot.reason.blocked",
  too_many_replies: "bot.reason.too_many_replies",
  not_transcribed: "bot.reason.not_transcribed",
  agent_replied: "bot.reason.agent_replied",
};

/** A confidence (0 to 1) as a percentage. */
export function percent(confidence: number | null | undefined, locale: string): string | null {
  if (confidence === null || confidence === undefined) return null;
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 }).format(confidence);
}
