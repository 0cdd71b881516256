import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import {
  PLAYBOOK,
  currentEscalation,
  draftChanged,
  draftFromSettings,
  filledSections,
  isStale,
  previewSections,
  serverProblem,
  settingsFromDraft,
  turnsByMessage,
  type BotSettings,
  type BotTurn,
  type ConversationBot,
} from "./logic";

/** The server's defaults (`BotSettings::default()`), as `GET /accounts/{id}/bot` sends them before a first save. */
const DEFAULTS: BotSettings = {
  enabled: false,
  profile: { name: "", description: "", address: "", opening_hours: "" },
  playbook: Object.fromEntries(PLAYBOOK.map((p) => [p.key, ""])) as BotSettings["playbook"],
  knowledge: "",
  custom_fields: [],
  fallback_phrase: "Je me renseigne auprès d'un collègue et je reviens vers vous au plus vite.",
  attachment_phrase: "Je ne peux pas lire ce type de contenu, peux-tu me l'écrire ?",
  escalation_number: null,
  confidence_threshold: 0.72,
  history_messages: 12,
  max_replies: 6,
  reply_window_minutes: 10,
  model: null,
};

function turn(partial: Partial<BotTurn>): BotTurn {
  return { turn_id: "t", through: "m0", outcome: "replied", reasons: [], claimed_at: "2026-11-30T10:00:00Z", ...partial };
}

describe("the form and the settings", () => {
  it("gives back the settings it was filled from, unchanged", () => {
    const draft = draftFromSettings(DEFAULTS);
    expect(draft.confidence_threshold).toBe("0.72");
    expect(draft.escalation_number).toBe("");
    const { settings, problems } = settingsFromDraft(draft);
    expect(problems).toEqual([]);
    expect(settings).toEqual(DEFAULTS);
    expect(draftChanged(DEFAULTS, draft)).toBe(false);
  });

  it("fills what the server left out with empty values", () => {
    const draft = draftFromSettings({ enabled: true, playbook: { faq: "Q: open? A: 9 to 6" } } as unknown as BotSettings);
    expect(draft.playbook.faq).toBe("Q: open? A: 9 to 6");
    expect(draft.playbook.offers).toBe("");
    expect(draft.profile.name).toBe("");
    expect(draft.custom_fields).toEqual([]);
  });

  it("reads numbers as typed, a decimal comma too, and empty texts as none", () => {
    const draft = { ...draftFromSettings(DEFAULTS), confidence_threshold: "0,8", history_messages: " 20 ", model: " ", escalation_number: " +33 6 12 34 56 78 " };
    const { settings, problems } = settingsFromDraft(draft);
    expect(problems).toEqual([]);
    expect(settings.confidence_threshold).toBe(0.8);
    expect(settings.history_messages).toBe(20);
    expect(settings.model).toBeNull();
    expect(settings.escalation_number).toBe("+33 6 12 34 56 78");
    expect(draftChanged(DEFAULTS, draft)).toBe(true);
  });

  it("names each field that is out of range, as the server would", () => {
    const draft = {
      ...draftFromSettings(DEFAULTS),
      confidence_threshold: "1.5",
      history_messages: "51",
      max_replies: "0",
      reply_window_minutes: "2.5",
      model: "gemini flash",
      fallback_phrase: "  ",
      custom_fields: [{ name: "", value: "2 to 3 days" }],
    };
    const fields = settingsFromDraft(draft).problems.map((p) => p.field);
    expect(fields).toEqual([
      "custom_fields[0].name",
      "fallback_phrase",
      "confidence_threshold",
      "history_messages",
      "max_replies",
      "reply_window_minutes",
      "model",
    ]);
  });

  it("refuses a section longer than the server accepts", () => {
    const draft = draftFromSettings(DEFAULTS);
    draft.playbook.faq = "a".repeat(20_001);
    expect(settingsFromDraft(draft).problems).toEqual([{ field: "playbook.faq", key: "bot.problem.tooLong", vars: { max: 20_000 } }]);
  });
});

describe("the preview's sections", () => {
  it("lists the sections the form holds text in, by the prompt's titles", () => {
    const draft = draftFromSettings(DEFAULTS);
    draft.playbook.faq = "Q: open on Sunday? A: no";
    draft.playbook.offers = "   ";
    draft.playbook.pitch = "We sell watches.";
    expect(filledSections(draft)).toEqual(["Frequently asked questions", "Pitch"]);
  });

  it("marks each playbook section in or out, and keeps the prompt's other parts", () => {
    const shown = previewSections(["Business", "Frequently asked questions", "Details"]);
    expect(shown.playbook.filter((s) => s.included).map((s) => s.title)).toEqual(["Frequently asked questions"]);
    expect(shown.playbook).toHaveLength(11);
    expect(shown.other).toEqual(["Business", "Details"]);
  });
});

describe("the server's refusals", () => {
  it("reads the field of a refused save, and only the reason", () => {
    const error = new ApiError(400, "invalid_bot_settings", "escalation_number: not a phone number", { field: "escalation_number" });
    expect(serverProblem(error)).toEqual({ field: "escalation_number", text: "not a phone number" });
    expect(serverProblem(new ApiError(400, "invalid_request", "bad json"))).toBeNull();
    expect(serverProblem(new Error("offline"))).toBeNull();
  });

  it("knows a save refused because someone saved meanwhile", () => {
    expect(isStale(new ApiError(409, "stale_settings", "saved since"))).toBe(true);
    expect(isStale(new ApiError(409, "conflict", "other"))).toBe(false);
    expect(isStale(null)).toBe(false);
  });
});

describe("a conversation's turns", () => {
  it("finds the turn of each message the bot sent", () => {
    const replied = turn({ turn_id: "a", message_id: "msg-1", confidence: 0.9 });
    const claimed = turn({ turn_id: "b", outcome: "claimed", message_id: null });
    const map = turnsByMessage([claimed, replied]);
    expect(map.get("msg-1")).toBe(replied);
    expect(map.size).toBe(1);
  });

  it("shows a hand-over while the bot stays off after it", () => {
    const escalated = turn({ turn_id: "e", outcome: "escalated", kind: "needs_human", message_id: "msg-2" });
    const bot: ConversationBot = { enabled: false, off_reason: "escalated", replies: 1, escalations: 1, turns: [escalated, turn({})], transcripts: [] };
    expect(currentEscalation(bot)).toBe(escalated);
    expect(currentEscalation({ ...bot, enabled: true })).toBeNull();
    expect(currentEscalation({ ...bot, turns: [turn({}), escalated] })).toBeNull();
  });
});
