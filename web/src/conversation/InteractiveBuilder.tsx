import { useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import type { Limits } from "../api/client";
import { useI18n } from "../i18n/i18n";
import {
  buttonsContent,
  buttonsProblems,
  length,
  listContent,
  listProblems,
  type ButtonsDraft,
  type ListDraft,
  type Problem,
} from "../messages/interactive";
import type { OutboundContent } from "./useSend";

type Shape = "buttons" | "list";

const NEW_BUTTONS: ButtonsDraft = { header: "", body: "", footer: "", buttons: [""] };
const NEW_LIST: ListDraft = { header: "", body: "", footer: "", button: "", sections: [{ title: "", rows: [{ title: "", description: "" }] }] };

/**
 * Builds a message of reply buttons or a list, the choices a customer taps instead of typing, within
 * Meta's limits as the server publishes them: each field counts its characters and says what Meta would
 * refuse before anything is sent. A modal dialog (Escape closes it).
 */
export function InteractiveBuilder({
  limits,
  disabled,
  onSend,
}: {
  limits: Limits["interactive"];
  disabled: boolean;
  onSend: (shown: string, attachment: null, content: () => Promise<OutboundContent>) => void;
}) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const titleId = useId();
  return (
    <>
      <button
        type="button"
        disabled={disabled}
        onClick={() => {
          setOpen(true);
          dialog.current?.showModal();
        }}
      >
        {t("choices.open")}
      </button>
      <dialog ref={dialog} className="app-dialog choices-dialog" aria-labelledby={titleId} onClose={() => setOpen(false)}>
        {open && (
          <ChoicesForm
            titleId={titleId}
            limits={limits}
            onCancel={() => dialog.current?.close()}
            onSend={(shown, content) => {
              onSend(shown, null, () => Promise.resolve(content));
              dialog.current?.close();
            }}
          />
        )}
      </dialog>
    </>
  );
}

function ChoicesForm({
  titleId,
  limits,
  onCancel,
  onSend,
}: {
  titleId: string;
  limits: Limits["interactive"];
  onCancel: () => void;
  onSend: (shown: string, content: OutboundContent) => void;
}) {
  const { t } = useI18n();
  const [shape, setShape] = useState<Shape>("buttons");
  const [buttons, setButtons] = useState<ButtonsDraft>(NEW_BUTTONS);
  const [list, setList] = useState<ListDraft>(NEW_LIST);
  const [tried, setTried] = useState(false);
  const draft = shape === "buttons" ? buttons : list;
  const problems = shape === "buttons" ? buttonsProblems(buttons, limits) : listProblems(list, limits);
  // Missing texts are pointed out once the agent tries to send; texts too long or repeated at once.
  const shown = problems.filter((p) => tried || p.rule !== "required");
  const problemAt = (field: string) => shown.find((p) => p.field === field);
  const setTexts = (field: "header" | "body" | "footer", value: string) =>
    shape === "buttons" ? setButtons({ ...buttons, [field]: value }) : setList({ ...list, [field]: value });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (problems.length > 0) return;
    onSend(draft.body.trim(), shape === "buttons" ? buttonsContent(buttons) : listContent(list));
  };
  const countProblem = problemAt(shape === "buttons" ? "buttons" : "rows") ?? problemAt("sections");

  return (
    <form onSubmit={submit} noValidate>
      <h2 id={titleId}>{t("choices.title")}</h2>
      <fieldset className="choices-shape">
        <legend>{t("choices.shape")}</legend>
        {(["buttons", "list"] as const).map((s) => (
          <label key={s} className="inline">
            <input type="radio" name="shape" value={s} checked={shape === s} onChange={() => setShape(s)} />
            {t(`choices.shape.${s}`)}
          </label>
        ))}
      </fieldset>
      <LimitedField label={t("choices.header")} value={draft.header} max={limits.header} problem={problemAt("header")} onChange={(v) => setTexts("header", v)} />
      <LimitedField label={t("choices.body")} value={draft.body} max={limits.body} problem={problemAt("body")} onChange={(v) => setTexts("body", v)} multiline />
      <LimitedField label={t("choices.footer")} value={draft.footer} max={limits.footer} problem={problemAt("footer")} onChange={(v) => setTexts("footer", v)} />
      {shape === "buttons" ? (
        <ButtonsFields draft={buttons} limits={limits} problemAt={problemAt} onChange={setButtons} />
      ) : (
        <ListFields draft={list} limits={limits} problemAt={problemAt} onChange={setList} />
      )}
      {countProblem && <ProblemText problem={countProblem} />}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>
          {t("template.cancel")}
        </button>
        <button type="submit" className="primary">
          {t("choices.send")}
        </button>
      </div>
    </form>
  );
}

type ProblemAt = (field: string) => Problem | undefined;

function ButtonsFields({
  draft,
  limits,
  problemAt,
  onChange,
}: {
  draft: ButtonsDraft;
  limits: Limits["interactive"];
  problemAt: ProblemAt;
  onChange: (draft: ButtonsDraft) => void;
}) {
  const { t } = useI18n();
  const set = (i: number, title: string) => onChange({ ...draft, buttons: draft.buttons.map((b, j) => (j === i ? title : b)) });
  return (
    <fieldset>
      <legend>{t("choices.buttons")}</legend>
      {draft.buttons.map((title, i) => (
        <div className="choice-row" key={i}>
          <LimitedField label={t("choices.button", { n: i + 1 })} value={title} max={limits.button_title} problem={problemAt(`buttons.${i}`)} onChange={(v) => set(i, v)} />
          {draft.buttons.length > 1 && (
            <button type="button" onClick={() => onChange({ ...draft, buttons: draft.buttons.filter((_, j) => j !== i) })}>
              {t("choices.removeButton", { n: i + 1 })}
            </button>
          )}
        </div>
      ))}
      {draft.buttons.length < limits.buttons && (
        <button type="button" onClick={() => onChange({ ...draft, buttons: [...draft.buttons, ""] })}>
          {t("choices.addButton")}
        </button>
      )}
    </fieldset>
  );
}

function ListFields({
  draft,
  limits,
  problemAt,
  onChange,
}: {
  draft: ListDraft;
  limits: Limits["interactive"];
  problemAt: ProblemAt;
  onChange: (draft: ListDraft) => void;
}) {
  const { t } = useI18n();
  const rows = draft.sections.reduce((n, s) => n + s.rows.length, 0);
  const setSection = (s: number, section: ListDraft["sections"][number]) =>
    onChange({ ...draft, sections: draft.sections.map((x, j) => (j === s ? section : x)) });
  const several = draft.sections.length > 1;
  return (
    <>
      <LimitedField label={t("choices.listButton")} value={draft.button} max={limits.list_button} problem={problemAt("button")} onChange={(button) => onChange({ ...draft, button })} />
      {draft.sections.map((section, s) => (
        <fieldset key={s}>
          <legend>{t("choices.section", { n: s + 1 })}</legend>
          <LimitedField
            label={several ? t("choices.sectionTitle", { n: s + 1 }) : t("choices.sectionTitleOptional", { n: s + 1 })}
            value={section.title}
            max={limits.list_section_title}
            problem={problemAt(`sections.${s}.title`)}
            onChange={(title) => setSection(s, { ...section, title })}
          />
          {section.rows.map((row, r) => {
            const at = `sections.${s}.rows.${r}`;
            const setRow = (next: typeof row) => setSection(s, { ...section, rows: section.rows.map((x, j) => (j === r ? next : x)) });
            const name = { s: s + 1, r: r + 1 };
            return (
              <div className="choice-row" key={r}>
                <LimitedField label={t("choices.rowTitle", name)} value={row.title} max={limits.list_row_title} problem={problemAt(`${at}.title`)} onChange={(title) => setRow({ ...row, title })} />
                <LimitedField
                  label={t("choices.rowDescription", name)}
                  value={row.description}
                  max={limits.list_row_description}
                  problem={problemAt(`${at}.description`)}
                  onChange={(description) => setRow({ ...row, description })}
                />
                {rows > 1 && (
                  <button type="button" onClick={() => setSection(s, { ...section, rows: section.rows.filter((_, j) => j !== r) })}>
                    {t("choices.removeRow", name)}
                  </button>
                )}
              </div>
            );
          })}
          {rows < limits.list_rows && (
            <button type="button" onClick={() => setSection(s, { ...section, rows: [...section.rows, { title: "", description: "" }] })}>
              {t("choices.addRow", { n: s + 1 })}
            </button>
          )}
          {several && (
            <button type="button" onClick={() => onChange({ ...draft, sections: draft.sections.filter((_, j) => j !== s) })}>
              {t("choices.removeSection", { n: s + 1 })}
            </button>
          )}
        </fieldset>
      ))}
      {draft.sections.length < limits.list_sections && rows < limits.list_rows && (
        <button
          type="button"
          onClick={() => onChange({ ...draft, sections: [...draft.sections, { title: "", rows: [{ title: "", description: "" }] }] })}
        >
          {t("choices.addSection")}
        </button>
      )}
    </>
  );
}

/** A text field that counts its characters against Meta's limit and says what is wrong with it. */
function LimitedField({
  label,
  value,
  max,
  problem,
  onChange,
  multiline = false,
}: {
  label: string;
  value: string;
  max: number;
  problem: Problem | undefined;
  onChange: (value: string) => void;
  multiline?: boolean;
}) {
  const id = useId();
  const noteId = `${id}-note`;
  const count = length(value.trim());
  const props = {
    id,
    value,
    "aria-invalid": problem ? true : undefined,
    "aria-describedby": noteId,
    onChange: (e: { target: { value: string } }) => onChange(e.target.value),
  };
  let note: ReactNode = `${count}/${max}`;
  if (problem) note = <ProblemText problem={problem} />;
  return (
    <div className="limited-field">
      <label htmlFor={id}>{label}</label>
      {multiline ? <textarea rows={3} {...props} /> : <input type="text" {...props} />}
      <span id={noteId} className={problem ? "field-note invalid" : "field-note"}>
        {note}
      </span>
    </div>
  );
}

function ProblemText({ problem }: { problem: Problem }) {
  const { t } = useI18n();
  switch (problem.rule) {
    case "required":
      return <span className="form-error">{t("choices.required")}</span>;
    case "tooLong":
      return <span className="form-error">{t("choices.tooLong", { max: problem.max })}</span>;
    case "repeated":
      return <span className="form-error">{t("choices.repeated")}</span>;
    case "count":
      return (
        <p className="form-error" role="alert">
          {t(problem.field === "buttons" ? "choices.buttonsCount" : problem.field === "rows" ? "choices.rowsCount" : "choices.sectionsCount", {
            max: problem.max,
          })}
        </p>
      );
  }
}
