import { memo } from "react";
import type { Message } from "../api/client";
import { clockTime } from "../format/time";
import { useI18n } from "../i18n/i18n";
import { personName } from "./logic";
import { useAgents } from "./queries";

/** The users a note names, as the server records them (`content.mentions`), read defensively. */
export function noteMentions(message: Message): string[] {
  const content = message.content as { mentions?: unknown } | null | undefined;
  const mentions = content?.mentions;
  return Array.isArray(mentions) ? mentions.filter((m): m is string => typeof m === "string") : [];
}

/** What a note says: its text as recorded. */
export function noteText(message: Message): string {
  if (message.body) return message.body;
  const content = message.content as { text?: unknown } | null | undefined;
  return typeof content?.text === "string" ? content.text : "";
}

/**
 * A private note in the timeline: the team's, never sent to the customer, so it looks like nothing the
 * customer sees: across the timeline, yellow, dashed, headed "Private note · who wrote it".
 */
export const NoteBubble = memo(function NoteBubble({ message }: { message: Message }) {
  const { t, locale } = useI18n();
  const agents = useAgents().data ?? [];
  const nameOf = (id: string | null | undefined) => {
    const agent = agents.find((a) => a.id === id);
    return agent ? personName(agent) : t("teamwork.notice.someone");
  };
  const mentions = noteMentions(message);
  return (
    <li className="message note" data-message-id={message.id}>
      <p className="note-by">{t("teamwork.note.by", { who: nameOf(message.sender) })}</p>
      <p className="message-text">{noteText(message)}</p>
      {mentions.length > 0 && <p className="hint">{t("teamwork.note.mentioned", { names: mentions.map(nameOf).join(", ") })}</p>}
      <p className="message-meta">{message.sent_at && <time dateTime={message.sent_at}>{clockTime(message.sent_at, locale)}</time>}</p>
    </li>
  );
});
