import { useId, useState } from "react";
import { useI18n } from "../i18n/i18n";
import { ErrorNotice } from "../ErrorNotice";
import { draftChanged, filledSections, previewSections, type BotConfig, type BotDraft } from "./logic";
import { useBotPreview } from "./queries";
import { useDebounced } from "./useDebounced";

const TYPING_MS = 400;

/**
 * The exact prompt a turn would send with the saved settings, for a sample customer message (and a real
 * conversation's history, when one is named), read again as they are typed and after each save; which
 * sections it holds and which were left out because they are empty.
 */
export function PromptPreview({ id, config, draft }: { id: string; config: BotConfig; draft: BotDraft }) {
  const { t } = useI18n();
  const field = useId();
  const [message, setMessage] = useState("");
  const [conversation, setConversation] = useState("");
  const askedMessage = useDebounced(message, TYPING_MS);
  const askedConversation = useDebounced(conversation, TYPING_MS);
  const preview = useBotPreview(id, askedMessage, askedConversation);
  const unsaved = draftChanged(config.settings, draft);
  const sections = preview.data ? previewSections(preview.data.sections) : null;
  return (
    <section className="numbers-section" aria-labelledby="bot-preview">
      <h3 id="bot-preview">{t("bot.preview")}</h3>
      <p className="numbers-hint">{t("bot.preview.hint")}</p>
      <div className="bot-numbers">
        <div className="numbers-field">
          <label htmlFor={`${field}-message`}>{t("bot.preview.message")}</label>
          <input id={`${field}-message`} type="text" value={message} placeholder={t("bot.preview.messagePlaceholder")} onChange={(e) => setMessage(e.target.value)} />
        </div>
        <div className="numbers-field">
          <label htmlFor={`${field}-conversation`}>{t("bot.preview.conversation")}</label>
          <input id={`${field}-conversation`} type="text" value={conversation} onChange={(e) => setConversation(e.target.value)} />
        </div>
      </div>
      {unsaved && (
        <p className="bot-warning" role="status">
          {t("bot.preview.unsaved", { sections: filledSections(draft).join(", ") || t("bot.preview.noSection") })}
        </p>
      )}
      {preview.isError ? (
        <ErrorNotice error={preview.error} onRetry={() => void preview.refetch()} />
      ) : !preview.data || !sections ? (
        <p className="loading numbers-loading" role="status">
          {t("loading")}
        </p>
      ) : (
        <div className="bot-preview" aria-busy={preview.isFetching}>
          <p>{t("bot.preview.version", { version: preview.data.version })}</p>
          <h4 id="bot-preview-in">{t("bot.preview.in")}</h4>
          <ul aria-labelledby="bot-preview-in" className="bot-chips">
            {sections.playbook
              .filter((s) => s.included)
              .map((s) => (
                <li key={s.title}>{s.title}</li>
              ))}
            {sections.other.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ul>
          {sections.playbook.some((s) => !s.included) && (
            <>
              <h4 id="bot-preview-out">{t("bot.preview.out")}</h4>
              <ul aria-labelledby="bot-preview-out" className="bot-chips muted">
                {sections.playbook
                  .filter((s) => !s.included)
                  .map((s) => (
                    <li key={s.title}>{s.title}</li>
                  ))}
              </ul>
            </>
          )}
          <h4 id="bot-preview-system">{t("bot.preview.system")}</h4>
          <pre className="bot-prompt" tabIndex={0} role="region" aria-labelledby="bot-preview-system">
            {preview.data.system}
          </pre>
          <h4 id="bot-preview-turns">{t("bot.preview.turns")}</h4>
          <ol aria-labelledby="bot-preview-turns" className="bot-turns">
            {preview.data.turns.map((turn, i) => (
              <li key={i}>
                <strong>{turn.from === "customer" ? t("message.fromCustomer") : t("bot.preview.business")}</strong>: {turn.text}
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}
