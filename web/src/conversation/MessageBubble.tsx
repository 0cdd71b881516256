import { memo, useState } from "react";
import type { Message } from "../api/client";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";
import { clockTime } from "../format/time";
import { describeMessage, failureOf, whatsappId } from "../messages/content";
import type { PendingMessage } from "../messages/pending";
import { MessageBody, QuotedText } from "./MessageBody";
import { StatusTicks } from "./StatusTicks";
import { ListingCards } from "../listings/ListingCard";
import type { Listing, Range } from "../listings/logic";
import type { BotTurn } from "../bot/logic";
import { BotMessageMark } from "../bot/ConversationBot";

const ADVICE = new Set([131047, 131026, 131049, 131056]);
const EMOJIS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

/** One message: who sent it, what it says, when, its status and its reactions. */
export const MessageBubble = memo(function MessageBubble({
  message,
  quoted,
  pending,
  onDismiss,
  onReply,
  ownReaction = null,
  onReact,
  listings = [],
  found = false,
  botTurn = null,
}: {
  message: Message;
  quoted: Message | null;
  pending: PendingMessage | null;
  onDismiss: (() => void) | undefined;
  /** Set when the message can be quoted in a reply. */
  onReply?: ((message: Message) => void) | undefined;
  /** The business's own reaction to it. */
  ownReaction?: string | null;
  /** Set when the agent may react to it; an empty emoji takes the reaction back. */
  onReact?: ((message: Message, emoji: string) => void) | undefined;
  /** The watches read in it (`messages.view`), each shown as a card whose fields point into its text. */
  listings?: Listing[];
  /** The message a search result opened the conversation at: marked as the current one. */
  found?: boolean;
  /** The bot's turn that sent it, when the bot did: marked as the bot's, with the turn's details. */
  botTurn?: BotTurn | null;
}) {
  const { t, locale } = useI18n();
  const outbound = message.direction === "outbound";
  const [picking, setPicking] = useState(false);
  const [highlight, setHighlight] = useState<Range | null>(null);
  const view = describeMessage(message);
  const text = view.type === "text" ? view.text : "caption" in view ? view.caption : null;
  const reactable = onReact !== undefined && !pending && whatsappId(message) !== null && !message.revoked_at;
  const failure = failureOf(message);
  const advice: MessageKey | null = failure
    ? failure.code !== null && ADVICE.has(failure.code)
      ? (`message.advice.${failure.code}` as MessageKey)
      : "message.advice.default"
    : null;
  return (
    <li
      className={`message ${outbound ? "outbound" : "inbound"}${pending ? " pending" : ""}${botTurn ? " by-bot" : ""}`}
      data-message-id={message.id}
      aria-current={found ? "true" : undefined}
      tabIndex={found ? -1 : undefined}
    >
      {botTurn ? <BotMessageMark turn={botTurn} /> : <p className="visually-hidden">{outbound ? t("message.fromYou") : t("message.fromCustomer")}</p>}
      {message.forwarded && <p className="forwarded">{t("message.forwarded")}</p>}
      {message.reply_to && (
        <blockquote className="quote">
          <span className="visually-hidden">{t("message.replyTo")} </span>
          {quoted ? <QuotedText message={quoted} /> : t("message.replyToUnknown")}
        </blockquote>
      )}
      <MessageBody view={view} highlight={highlight} />
      <p className="message-meta">
        {message.edited_at && !message.revoked_at && <span className="edited">{t("message.edited")}</span>}
        {message.sent_at && <time dateTime={message.sent_at}>{clockTime(message.sent_at, locale)}</time>}
        {outbound && <StatusTicks status={message.status ?? "sending"} />}
        {onReply && !pending && whatsappId(message) && !message.revoked_at && (
          <button type="button" className="reply-button" onClick={() => onReply(message)}>
            {t("message.reply")}
          </button>
        )}
        {reactable && (
          <button type="button" className="reply-button" aria-expanded={picking} onClick={() => setPicking(!picking)}>
            {t("message.react")}
          </button>
        )}
      </p>
      {reactable && picking && (
        <ul className="reaction-picker" onKeyDown={(e) => e.key === "Escape" && setPicking(false)}>
          {EMOJIS.map((emoji) => (
            <li key={emoji}>
              <button
                type="button"
                aria-pressed={emoji === ownReaction}
                aria-label={t("message.reactWith", { emoji })}
                onClick={() => {
                  setPicking(false);
                  onReact(message, emoji === ownReaction ? "" : emoji);
                }}
              >
                {emoji}
              </button>
            </li>
          ))}
        </ul>
      )}
      {!pending && listings.length > 0 && text !== null && <ListingCards listings={listings} text={text} onHighlight={setHighlight} />}
      {pending?.error && (
        <p className="message-failure" role="alert">
          {t("message.notSent", { reason: pending.error })}{" "}
          {onDismiss && (
            <button type="button" onClick={onDismiss}>
              {t("message.dismiss")}
            </button>
          )}
        </p>
      )}
      {failure && advice && (
        <p className="message-failure">
          {t("message.failedBecause", { reason: failure.reason })} {t(advice)}
        </p>
      )}
      {(message.reactions.length > 0 || ownReaction) && (
        <ul className="reactions" aria-label={t("message.reactions")}>
          {ownReaction && <li title={t("message.yourReaction", { emoji: ownReaction })}>{ownReaction}</li>}
          {message.reactions.map((r) => (
            <li key={r.from} title={t("message.reactionBy", { emoji: r.emoji, who: r.from === "business" ? t("message.fromYou") : t("message.fromCustomer") })}>
              {r.emoji}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
});
