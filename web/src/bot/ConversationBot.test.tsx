import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen, within } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { I18nProvider } from "../i18n/i18n";
import { ConversationBotStatus } from "./ConversationBot";
import type { BotTurn, ConversationBot } from "./logic";
import { botKeys } from "./queries";

/** The conversation's bot state as the server last sent it (in the cache: nothing is asked). */
function show(bot: ConversationBot) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  client.setQueryData(botKeys.conversation("c1"), bot);
  render(
    <QueryClientProvider client={client}>
      <I18nProvider>
        <ConversationBotStatus id="c1" />
      </I18nProvider>
    </QueryClientProvider>,
  );
}

const handover: BotTurn = {
  turn_id: "t2",
  through: "m3",
  outcome: "escalated",
  kind: "needs_human",
  message_id: "m4",
  model: "gemini-3.5-flash-lite",
  playbook_version: 1,
  confidence: 0,
  reasons: ["the emulator has no rule for this message"],
  would_have_replied: "",
  claimed_at: "2026-11-30T10:05:00Z",
};
const replied: BotTurn = { turn_id: "t1", through: "m1", outcome: "replied", kind: "answer", message_id: "m2", confidence: 0.93, reasons: [], claimed_at: "2026-11-30T10:00:00Z" };

afterEach(() => cleanup());

describe("a conversation's bot", () => {
  it("shows the escalated badge with why, and the model's reasons, while the bot is off after a hand-over", () => {
    show({ enabled: false, off_reason: "escalated", replies: 1, escalations: 1, last_escalation_reason: "needs_human", turns: [handover, replied], transcripts: [] });
    const badge = screen.getByRole("status", { name: "Escalated" });
    expect(badge.textContent).toContain("the model said a person must answer");
    expect(within(badge).getByRole("listitem").textContent).toBe("the emulator has no rule for this message");
    expect(screen.getByRole("button", { name: "Bot: 1 replies, 1 hand-overs" }).getAttribute("aria-expanded")).toBe("false");
  });

  it("shows no badge once the bot is on again, and nothing at all before its first turn", () => {
    show({ enabled: true, replies: 1, escalations: 1, turns: [handover, replied], transcripts: [] });
    expect(screen.queryByRole("status", { name: "Escalated" })).toBeNull();
    cleanup();
    show({ enabled: true, replies: 0, escalations: 0, turns: [], transcripts: [] });
    expect(screen.queryByRole("button")).toBeNull();
    expect(screen.queryByRole("status")).toBeNull();
  });
});
