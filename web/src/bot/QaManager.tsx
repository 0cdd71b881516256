import { useId, useState, type FormEvent } from "react";
import type { Schemas } from "../api/client";
import { useI18n } from "../i18n/i18n";
import { followLink, conversationPath } from "../inbox/route";
import { ErrorNotice } from "../ErrorNotice";
import { ConfirmDialog } from "../numbers/parts";
import { BotField } from "./BotField";
import { serverProblem, type Problem } from "./logic";
import { useQa, useQaSuggestions, useRemoveQa, useSaveQa } from "./queries";

type QaEntry = Schemas["QaEntry"];

/**
 * The knowledge base: questions and answers the bot is given when a customer asks something like them.
 * Added by hand or, in one click, from what a customer asked and a person answered.
 */
export function QaManager({ id, canSuggest }: { id: string; canSuggest: boolean }) {
  const { t } = useI18n();
  const qa = useQa(id);
  const [editing, setEditing] = useState<string | "new" | null>(null);
  return (
    <section className="numbers-section" aria-labelledby="bot-qa">
      <div className="numbers-section-head">
        <h3 id="bot-qa">{t("bot.qa")}</h3>
        {editing !== "new" && (
          <button type="button" onClick={() => setEditing("new")}>
            {t("bot.qa.add")}
          </button>
        )}
      </div>
      <p className="numbers-hint">{t("bot.qa.hint")}</p>
      {editing === "new" && <QaForm id={id} entry={null} onDone={() => setEditing(null)} />}
      {qa.isError ? (
        <ErrorNotice error={qa.error} onRetry={() => void qa.refetch()} />
      ) : !qa.data ? (
        <p className="loading numbers-loading" role="status">
          {t("loading")}
        </p>
      ) : qa.data.length === 0 ? (
        <p className="empty">{t("bot.qa.none")}</p>
      ) : (
        <ul className="bot-qa-list" aria-labelledby="bot-qa">
          {qa.data.map((entry) => (
            <li key={entry.id}>
              {editing === entry.id ? (
                <QaForm id={id} entry={entry} onDone={() => setEditing(null)} />
              ) : (
                <QaItem id={id} entry={entry} onEdit={() => setEditing(entry.id)} />
              )}
            </li>
          ))}
        </ul>
      )}
      {canSuggest && <Suggestions id={id} />}
    </section>
  );
}

function QaItem({ id, entry, onEdit }: { id: string; entry: QaEntry; onEdit: () => void }) {
  const { t } = useI18n();
  const remove = useRemoveQa(id);
  const [asking, setAsking] = useState(false);
  return (
    <article className="bot-qa-item" aria-label={entry.question}>
      <p className="bot-qa-question">{entry.question}</p>
      <p className="bot-qa-answer">{entry.answer}</p>
      {remove.isError && <ErrorNotice error={remove.error} />}
      <div className="numbers-actions">
        <button type="button" onClick={onEdit}>
          {t("bot.qa.edit")}
        </button>
        <button type="button" className="danger" onClick={() => setAsking(true)}>
          {t("numbers.delete")}
        </button>
      </div>
      <ConfirmDialog
        open={asking}
        title={t("bot.qa.deleteTitle")}
        onClose={() => setAsking(false)}
        actions={
          <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate(entry.id, { onSuccess: () => setAsking(false) })}>
            {t("numbers.delete")}
          </button>
        }
      >
        <p>{entry.question}</p>
      </ConfirmDialog>
    </article>
  );
}

/** A question and its answer, new or changed. */
function QaForm({ id, entry, onDone }: { id: string; entry: QaEntry | null; onDone: () => void }) {
  const { t } = useI18n();
  const save = useSaveQa(id);
  const [question, setQuestion] = useState(entry?.question ?? "");
  const [answer, setAnswer] = useState(entry?.answer ?? "");
  const [own, setOwn] = useState<Problem[]>([]);
  const refused = serverProblem(save.error);
  const problems = refused ? [...own, refused] : own;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const missing: Problem[] = [];
    if (question.trim() === "") missing.push({ field: "question", key: "bot.problem.required" });
    if (answer.trim() === "") missing.push({ field: "answer", key: "bot.problem.required" });
    setOwn(missing);
    if (missing.length > 0) return;
    save.mutate({ qaId: entry?.id ?? null, change: { question, answer, source_conversation: entry?.source_conversation ?? null } }, { onSuccess: onDone });
  };
  return (
    <form className="numbers-form bot-qa-form" onSubmit={submit} noValidate aria-label={entry ? t("bot.qa.editTitle") : t("bot.qa.addTitle")}>
      <BotField label={t("bot.qa.question")} field="question" value={question} problems={problems} onChange={setQuestion} />
      <BotField label={t("bot.qa.answer")} field="answer" value={answer} multiline rows={3} problems={problems} onChange={setAnswer} />
      {save.isError && !refused && <ErrorNotice error={save.error} />}
      <div className="numbers-actions">
        <button type="button" onClick={onDone} disabled={save.isPending}>
          {t("numbers.cancel")}
        </button>
        <button type="submit" className="primary" disabled={save.isPending}>
          {t("bot.qa.save")}
        </button>
      </div>
    </form>
  );
}

/** What customers asked and people answered, each added to the knowledge base in one click. */
function Suggestions({ id }: { id: string }) {
  const { t } = useI18n();
  const heading = useId();
  const [shown, setShown] = useState(false);
  const suggestions = useQaSuggestions(id, shown);
  const save = useSaveQa(id);
  return (
    <div className="bot-suggestions">
      <h4 id={heading}>{t("bot.qa.suggestions")}</h4>
      {!shown ? (
        <button type="button" onClick={() => setShown(true)}>
          {t("bot.qa.suggestions.show")}
        </button>
      ) : suggestions.isError ? (
        <ErrorNotice error={suggestions.error} onRetry={() => void suggestions.refetch()} />
      ) : !suggestions.data ? (
        <p className="loading numbers-loading" role="status">
          {t("loading")}
        </p>
      ) : suggestions.data.length === 0 ? (
        <p className="empty">{t("bot.qa.suggestions.none")}</p>
      ) : (
        <ul className="bot-qa-list" aria-labelledby={heading}>
          {suggestions.data.map((s) => (
            <li key={s.question_message_id}>
              <article className="bot-qa-item" aria-label={s.question}>
                <p className="bot-qa-question">{s.question}</p>
                <p className="bot-qa-answer">{s.answer}</p>
                <div className="numbers-actions">
                  <a href={conversationPath(s.conversation_id)} onClick={(e) => followLink(e, conversationPath(s.conversation_id))}>
                    {t("bot.qa.suggestions.open")}
                  </a>
                  <button
                    type="button"
                    disabled={save.isPending}
                    onClick={() => save.mutate({ qaId: null, change: { question: s.question, answer: s.answer, source_conversation: s.conversation_id } })}
                  >
                    {t("bot.qa.suggestions.add")}
                  </button>
                </div>
              </article>
            </li>
          ))}
        </ul>
      )}
      {save.isError && <ErrorNotice error={save.error} />}
    </div>
  );
}
