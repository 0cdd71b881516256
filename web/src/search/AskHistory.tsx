import { useId, useState, type FormEvent } from "react";
import type { Schemas } from "../api/client";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import { followLink, messagePath } from "../inbox/route";
import { answerPieces, askFilters } from "./answer";
import type { SearchState } from "./logic";
import { useAskHistory } from "./queries";

type Citation = Schemas["Citation"];

/**
 * "Ask the history": a question in words, answered by the model from the messages the search finds
 * (within the page's filters), each message it cites a link that opens its conversation at it. An answer
 * the messages do not support is said to be one.
 */
export function AskHistory({ state }: { state: SearchState }) {
  const { t } = useI18n();
  const id = useId();
  const ask = useAskHistory();
  const [question, setQuestion] = useState("");
  const [empty, setEmpty] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setEmpty(question.trim() === "");
    if (question.trim() === "") return;
    ask.mutate({ q: question.trim(), ...askFilters(state) });
  };
  return (
    <section className="search-ask" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{t("search.ask")}</h3>
      <form onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
        <label htmlFor={`${id}-q`}>{t("search.ask.question")}</label>
        <div className="search-box">
          <input
            id={`${id}-q`}
            type="text"
            value={question}
            placeholder={t("search.ask.placeholder")}
            aria-invalid={empty ? true : undefined}
            aria-describedby={`${id}-hint${empty ? ` ${id}-empty` : ""}`}
            onChange={(e) => setQuestion(e.target.value)}
          />
          <button type="submit" className="primary" disabled={ask.isPending}>
            {ask.isPending ? t("search.ask.asking") : t("search.ask.submit")}
          </button>
        </div>
        <p id={`${id}-hint`} className="muted">
          {t("search.ask.hint")}
        </p>
        {empty && (
          <p id={`${id}-empty`} className="form-error">
            {t("search.ask.empty")}
          </p>
        )}
      </form>
      {ask.isError && <ErrorNotice error={ask.error} />}
      {ask.data && <Answer answer={ask.data} />}
    </section>
  );
}

function Answer({ answer }: { answer: Schemas["HistoryAnswer"] }) {
  const { t } = useI18n();
  const id = useId();
  const byNumber = new Map(answer.citations.map((c) => [c.n, c]));
  return (
    <div className="search-answer" role="status" aria-labelledby={`${id}-title`}>
      <h4 id={`${id}-title`}>{answer.supported ? t("search.ask.answer") : t("search.ask.unsupported")}</h4>
      <p className="search-answer-text">
        {answerPieces(answer.answer, [...byNumber.keys()]).map((piece, i) =>
          "text" in piece ? <span key={i}>{piece.text}</span> : <CiteLink key={i} citation={byNumber.get(piece.cite)!} />,
        )}
      </p>
      <p className="muted">
        {t("search.ask.considered", { count: answer.considered })}
        {answer.model ? ` · ${answer.model}` : ""}
      </p>
      {answer.notice && (
        <p className="muted" lang="en">
          {answer.notice}
        </p>
      )}
      {answer.citations.length > 0 && (
        <>
          <h5 id={`${id}-sources`}>{t("search.ask.sources")}</h5>
          <ol className="search-citations" aria-labelledby={`${id}-sources`}>
            {answer.citations.map((c) => (
              <li key={c.n} value={c.n}>
                <Source citation={c} />
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

/** `[n]` in the answer, a link to the message it cites. */
function CiteLink({ citation }: { citation: Citation }) {
  const { t } = useI18n();
  const path = messagePath(citation.conversation_id, citation.message_id);
  return (
    <a href={path} className="search-cite" aria-label={t("search.ask.cite", { n: citation.n })} onClick={(e) => followLink(e, path)}>
      [{citation.n}]
    </a>
  );
}

/** A cited message: its text, a link opening its conversation at it, who wrote it and when. */
function Source({ citation }: { citation: Citation }) {
  const { t, locale } = useI18n();
  const path = messagePath(citation.conversation_id, citation.message_id);
  return (
    <>
      <a href={path} onClick={(e) => followLink(e, path)}>
        {citation.text}
      </a>{" "}
      <span className="muted">
        {citation.direction === "outbound" ? t("search.ask.byUs") : t("search.ask.byCustomer")} · <time dateTime={citation.written_at}>{new Date(citation.written_at).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" })}</time>
      </span>
    </>
  );
}
