import { useId, useState, type ReactNode } from "react";
import { useI18n } from "../i18n/i18n";
import { clockTime } from "../format/time";
import { ESCALATION_REASONS, currentEscalation, percent, type BotTurn } from "./logic";
import { useConversationBot } from "./queries";
import { Reasons } from "./TryPanel";
import "./bot.css";

/** A hand-over reason in the reader's words (one the app does not know, as the server said it). */
export function useReasonText(): (reason: string | null | undefined) => string {
  const { t } = useI18n();
  return (reason) => (reason ? t(ESCALATION_REASONS[reason] ?? "bot.reason.other", { reason }) : t("bot.reason.unknown"));
}

/**
 * Under a conversation's header: the "escalated" badge while the bot has handed it over (why, and the
 * model's reasons), and the bot's turns, each with its model, playbook version, confidence and cost.
 */
export function ConversationBotStatus({ id }: { id: string }) {
  const { t } = useI18n();
  const bot = useConversationBot(id);
  const reasonText = useReasonText();
  if (!bot.data) return null;
  const escalation = currentEscalation(bot.data);
  if (!escalation && bot.data.turns.length === 0 && !bot.data.off_reason) return null;
  return (
    <div className="bot-status">
      {escalation ? (
        <div className="bot-escalated" role="status" aria-label={t("bot.escalated")}>
          <p>
            <span className="bot-badge">{t("bot.escalated")}</span> {reasonText(escalation.kind ?? bot.data.last_escalation_reason)}
          </p>
          {escalation.would_have_replied && <p>{t("bot.try.wouldHave", { reply: escalation.would_have_replied })}</p>}
          {escalation.reasons.length > 0 && <Reasons reasons={escalation.reasons} />}
        </div>
      ) : (
        bot.data.off_reason === "agent_replied" && !bot.data.enabled && <p className="muted">{t("bot.reason.agent_replied")}</p>
      )}
      {bot.data.turns.length > 0 && (
        <Disclosure className="bot-panel" label={t("bot.panel", { replies: bot.data.replies, escalations: bot.data.escalations })}>
          <ol className="bot-panel-turns">
            {bot.data.turns.map((turn) => (
              <li key={turn.turn_id}>
                <TurnDetails turn={turn} />
              </li>
            ))}
          </ol>
        </Disclosure>
      )}
    </div>
  );
}

/** One turn: what it did, with which model and playbook version, how sure, what it cost. */
export function TurnDetails({ turn }: { turn: BotTurn }) {
  const { t, locale } = useI18n();
  const reasonText = useReasonText();
  const confidence = percent(turn.confidence, locale);
  const outcome =
    turn.outcome === "replied"
      ? t(turn.kind === "attachment" ? "bot.turn.attachment" : "bot.turn.replied")
      : turn.outcome === "escalated"
        ? t("bot.turn.escalated", { reason: reasonText(turn.kind) })
        : t("bot.turn.claimed");
  return (
    <div className="bot-turn">
      <p>
        <time dateTime={turn.claimed_at}>{clockTime(turn.claimed_at, locale)}</time> {outcome}
      </p>
      <dl className="bot-facts">
        {turn.model && (
          <>
            <dt>{t("bot.turn.model")}</dt>
            <dd>{turn.model}</dd>
          </>
        )}
        {turn.playbook_version !== null && turn.playbook_version !== undefined && (
          <>
            <dt>{t("bot.turn.version")}</dt>
            <dd>{turn.playbook_version}</dd>
          </>
        )}
        {confidence && (
          <>
            <dt>{t("bot.turn.confidence")}</dt>
            <dd>{confidence}</dd>
          </>
        )}
        {(turn.input_tokens ?? null) !== null && (
          <>
            <dt>{t("bot.turn.tokens")}</dt>
            <dd>{t("bot.turn.tokensValue", { input: turn.input_tokens ?? 0, output: turn.output_tokens ?? 0 })}</dd>
          </>
        )}
        {(turn.latency_ms ?? null) !== null && (
          <>
            <dt>{t("bot.turn.latency")}</dt>
            <dd>{t("bot.turn.ms", { ms: turn.latency_ms ?? 0 })}</dd>
          </>
        )}
        {turn.error && (
          <>
            <dt>{t("bot.turn.error")}</dt>
            <dd>{turn.error}</dd>
          </>
        )}
      </dl>
      {turn.reasons.length > 0 && <Reasons reasons={turn.reasons} />}
    </div>
  );
}

/** Under a message the bot sent: said as the bot's, its turn's details a click away. */
export function BotMessageMark({ turn }: { turn: BotTurn }) {
  const { t } = useI18n();
  return (
    <div className="bot-mark">
      <p className="bot-mark-label">{t("bot.message.mark")}</p>
      <Disclosure label={t("bot.message.details")}>
        <TurnDetails turn={turn} />
      </Disclosure>
    </div>
  );
}

/** A button that shows or hides what it names (`aria-expanded`, the shown part tied by `aria-controls`). */
function Disclosure({ label, className, children }: { label: string; className?: string; children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <div className={className}>
      <button type="button" className="bot-disclosure" aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)}>
        {label}
      </button>
      <div id={id} hidden={!open}>
        {children}
      </div>
    </div>
  );
}
