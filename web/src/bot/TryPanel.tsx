import { useId, useState, type FormEvent } from "react";
import type { Schemas } from "../api/client";
import { useI18n } from "../i18n/i18n";
import { ErrorNotice } from "../ErrorNotice";
import { ESCALATION_REASONS, percent, settingsFromDraft, type BotDraft } from "./logic";
import { useTryBot } from "./queries";

/**
 * "Try it": a customer's message answered as a turn would, with the settings the form holds (saved or
 * not), in a real conversation's context when one is named. Nothing is sent or recorded.
 */
export function TryPanel({ id, draft }: { id: string; draft: BotDraft }) {
  const { t } = useI18n();
  const field = useId();
  const trial = useTryBot(id);
  const [message, setMessage] = useState("");
  const [conversation, setConversation] = useState("");
  const [problem, setProblem] = useState<"empty" | "form" | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const { settings, problems } = settingsFromDraft(draft);
    if (message.trim() === "") return setProblem("empty");
    if (problems.length > 0) return setProblem("form");
    setProblem(null);
    trial.mutate({ message, conversation_id: conversation.trim() === "" ? null : conversation.trim(), settings });
  };
  return (
    <section className="numbers-section" aria-labelledby="bot-try">
      <h3 id="bot-try">{t("bot.try")}</h3>
      <p className="numbers-hint">{t("bot.try.hint")}</p>
      <form className="numbers-form" onSubmit={submit} noValidate aria-labelledby="bot-try">
        <div className="numbers-field">
          <label htmlFor={`${field}-message`}>{t("bot.try.message")}</label>
          <textarea
            id={`${field}-message`}
            rows={2}
            value={message}
            aria-invalid={problem === "empty" ? true : undefined}
            aria-describedby={problem === "empty" ? `${field}-problem` : undefined}
            onChange={(e) => setMessage(e.target.value)}
          />
        </div>
        <div className="numbers-field">
          <label htmlFor={`${field}-conversation`}>{t("bot.try.conversation")}</label>
          <input id={`${field}-conversation`} type="text" value={conversation} onChange={(e) => setConversation(e.target.value)} />
        </div>
        {problem && (
          <p id={`${field}-problem`} className="form-error" role="alert">
            {t(problem === "empty" ? "bot.try.empty" : "bot.try.formProblems")}
          </p>
        )}
        {trial.isError && <ErrorNotice error={trial.error} />}
        <div className="numbers-actions">
          <button type="submit" className="primary" disabled={trial.isPending}>
            {trial.isPending ? t("bot.try.asking") : t("bot.try.submit")}
          </button>
        </div>
      </form>
      {trial.data && <TryResult result={trial.data} />}
    </section>
  );
}

/** What the bot would do: the reply or the hand-over, and the model's confidence, reasons and cost. */
function TryResult({ result }: { result: Schemas["BotTryResult"] }) {
  const { t, locale } = useI18n();
  const escalated = result.outcome === "escalate";
  const reason = result.escalation_reason ?? null;
  const confidence = percent(result.confidence, locale);
  return (
    <div className="bot-try-result" role="status" aria-labelledby="bot-try-outcome">
      <h4 id="bot-try-outcome">{escalated ? t("bot.try.escalate", { reason: reason ? t(ESCALATION_REASONS[reason] ?? "bot.reason.other", { reason }) : "" }) : t("bot.try.reply")}</h4>
      <blockquote className="bot-reply">{result.reply}</blockquote>
      {escalated && result.model_reply && <p>{t("bot.try.wouldHave", { reply: result.model_reply })}</p>}
      <dl className="numbers-facts">
        {confidence && (
          <>
            <dt>{t("bot.turn.confidence")}</dt>
            <dd>{confidence}</dd>
          </>
        )}
        {result.model && (
          <>
            <dt>{t("bot.turn.model")}</dt>
            <dd>{result.model}</dd>
          </>
        )}
        <dt>{t("bot.turn.tokens")}</dt>
        <dd>{t("bot.turn.tokensValue", { input: result.input_tokens, output: result.output_tokens })}</dd>
        <dt>{t("bot.turn.latency")}</dt>
        <dd>{t("bot.turn.ms", { ms: result.latency_ms })}</dd>
        {result.error && (
          <>
            <dt>{t("bot.turn.error")}</dt>
            <dd>{result.error}</dd>
          </>
        )}
      </dl>
      {result.reasons.length > 0 && <Reasons reasons={result.reasons} />}
    </div>
  );
}

/** The model's reasons, as it wrote them. */
export function Reasons({ reasons }: { reasons: readonly string[] }) {
  const { t } = useI18n();
  const id = useId();
  return (
    <>
      <p id={id} className="bot-reasons-title">
        {t("bot.turn.reasons")}
      </p>
      <ul aria-labelledby={id} className="bot-reasons">
        {reasons.map((r, i) => (
          <li key={i}>{r}</li>
        ))}
      </ul>
    </>
  );
}
