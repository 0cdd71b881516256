import { memo } from "react";
import type { Message } from "../api/client";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";
import { clockTime } from "../format/time";
import { describeMessage, failureOf, whatsappId } from "../messages/content";
import type { PendingMessage } from "../messages/pending";
import { MessageBody, QuotedText } from "./MessageBody";
import { StatusTicks } from "./StatusTicks";

const ADVICE = new Set([131047, 131026, 131049, 131056]);

/** One message: who sent it, what it says, when, its status and its reactions. */
export const MessageBubble = memo(function MessageBubble({
  message,
  quoted,
  pending,
  onDismiss,
  onReply,
}: {
  message: Message;
  quoted: Message | null;
  pending: PendingMessage | null;
  onDismiss: (() => void) | undefined;
  /** Set when the message can be quoted in a reply. */
  onReply?: ((message: Message) => void) | undefined;
}) {
  const { t, locale } = useI18n();
  const outbound = message.direction === "outbound";
  const failure = failureOf(message);
  const advice: MessageKey | null = failure
    ? failure.code !== null && ADVICE.has(failure.code)
      ? (`message.advice.${failure.code}` as MessageKey)
      : "message.advice.default"
    : null;
  return (
    <li className={`message ${outbound ? "outbound" : "inbound"}${pending ? " pending" : ""}`}>
      <p className="visually-hidden">{outbound ? t("message.fromYou") : t("message.fromCustomer")}</p>
      {message.forwarded && <p className="forwarded">{t("message.forwarded")}</p>}
      {message.reply_to && (
        <blockquote className="quote">
          <span className="visually-hidden">{t("message.replyTo")} </span>
          {quoted ? <QuotedText message={quoted} /> : t("message.replyToUnknown")}
        </blockquote>
      )}
      <MessageBody view={describeMessage(message)} />
      <p className="message-meta">
        {message.edited_at && !message.revoked_at && <span className="edited">{t("message.edited")}</span>}
        {message.sent_at && <time dateTime={message.sent_at}>{clockTime(message.sent_at, locale)}</time>}
        {outbound && <StatusTicks status={message.status ?? "sending"} />}
        {onReply && !pending && whatsappId(message) && !message.revoked_at && (
          <button type="button" className="reply-button" onClick={() => onReply(message)}>
            {t("message.reply")}
          </button>
        )}
      </p>
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
      {message.reactions.length > 0 && (
        <ul className="reactions" aria-label={t("message.reactions")}>
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
