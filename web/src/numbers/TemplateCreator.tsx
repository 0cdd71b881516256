import { useId, useMemo, useRef, useState, type FormEvent, type RefObject } from "react";
import { useI18n } from "../i18n/i18n";
import { FieldError, MetaErrorNotice, useFocusFirstProblem } from "./parts";
import { TextField } from "./ProfileSection";
import { useCreateTemplate } from "./queries";
import {
  bodyVariables,
  CATEGORIES,
  draftPreview,
  draftProblems,
  EMPTY_DRAFT,
  LANGUAGES,
  LIMITS,
  newButton,
  newTemplate,
  variablesOf,
  type ButtonDraft,
  type ButtonKind,
  type TemplateDraft,
} from "./templateDraft";

/**
 * A new template for Meta's review: name, category, language, an optional text header, the body with
 * its numbered variables and an example for each, a footer and buttons, with a live preview. Everything
 * Meta's limits forbid is said before sending; what was typed stays when Meta refuses.
 */
export function TemplateCreator({ id, onDone }: { id: string; onDone: (created: string | null) => void }) {
  const { t, locale } = useI18n();
  const create = useCreateTemplate(id);
  const [draft, setDraft] = useState<TemplateDraft>(EMPTY_DRAFT);
  const [checked, setChecked] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const focusProblem = useFocusFirstProblem(form);
  const body = useRef<HTMLTextAreaElement | null>(null);
  const titleId = useId();
  const problems = checked ? draftProblems(draft) : [];
  const variables = bodyVariables(draft);
  const headerHasVariable = variablesOf(draft.header).length > 0;
  const preview = draftPreview(draft);
  const languageName = useMemo(() => {
    const names = new Intl.DisplayNames([locale], { type: "language" });
    return (code: string) => {
      try {
        return `${names.of(code.replace("_", "-")) ?? code} (${code})`;
      } catch {
        return code;
      }
    };
  }, [locale]);
  const set = <K extends keyof TemplateDraft>(field: K, value: TemplateDraft[K]) => setDraft((d) => ({ ...d, [field]: value }));
  const setButton = (i: number, change: Partial<ButtonDraft>) =>
    setDraft((d) => ({ ...d, buttons: d.buttons.map((b, j) => (j === i ? { ...b, ...change } : b)) }));
  const count = (kind: ButtonKind) => draft.buttons.filter((b) => b.kind === kind).length;

  const addVariable = () => {
    const next = `{{${variablesOf(draft.body).length + 1}}}`;
    const area = body.current;
    const at = area ? area.selectionEnd : draft.body.length;
    set("body", draft.body.slice(0, at) + next + draft.body.slice(at));
    requestAnimationFrame(() => {
      area?.focus();
      area?.setSelectionRange(at + next.length, at + next.length);
    });
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (draftProblems(draft).length > 0) {
      focusProblem();
      return;
    }
    create.mutate(newTemplate(draft), { onSuccess: () => onDone(draft.name) });
  };

  const problemOf = (field: string) => {
    const p = problems.find((x) => x.field === field);
    return p ? t(p.key, p.vars) : null;
  };

  return (
    <form ref={form} className="numbers-form numbers-creator" onSubmit={submit} noValidate aria-labelledby={titleId}>
      <h4 id={titleId}>{t("numbers.templates.new")}</h4>
      <div className="numbers-creator-grid">
        <div className="numbers-creator-fields">
          <TextField
            label={t("numbers.tpl.name")}
            value={draft.name}
            onChange={(v) => set("name", v)}
            max={LIMITS.name}
            problems={problems}
            field="name"
            hint={t("numbers.tpl.nameHint")}
            required
          />
          <label className="numbers-field">
            {t("numbers.templates.category")}
            <select value={draft.category} onChange={(e) => set("category", e.target.value as TemplateDraft["category"])}>
              {CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {t(`numbers.category.${c}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="numbers-field">
            {t("numbers.templates.language")}
            <select value={draft.language} onChange={(e) => set("language", e.target.value)}>
              {LANGUAGES.map((code) => (
                <option key={code} value={code}>
                  {languageName(code)}
                </option>
              ))}
            </select>
          </label>
          <TextField
            label={t("numbers.tpl.header")}
            value={draft.header}
            onChange={(v) => set("header", v)}
            max={LIMITS.header}
            problems={problems}
            field="header"
            hint={t("numbers.tpl.headerHint")}
          />
          {headerHasVariable && (
            <TextField
              label={t("numbers.tpl.headerExample")}
              value={draft.headerExample}
              onChange={(v) => set("headerExample", v)}
              problems={problems}
              field="headerExample"
            />
          )}
          <BodyField
            value={draft.body}
            onChange={(v) => set("body", v)}
            problem={problemOf("body")}
            areaRef={body}
            onAddVariable={addVariable}
          />
          {variables.map((key) => (
            <TextField
              key={key}
              label={t("numbers.tpl.example", { key })}
              value={draft.bodyExamples[key] ?? ""}
              onChange={(v) => set("bodyExamples", { ...draft.bodyExamples, [key]: v })}
              problems={problems}
              field={`bodyExample.${key}`}
            />
          ))}
          <TextField
            label={t("numbers.tpl.footer")}
            value={draft.footer}
            onChange={(v) => set("footer", v)}
            max={LIMITS.footer}
            problems={problems}
            field="footer"
            hint={t("numbers.tpl.footerHint")}
          />
          <fieldset className="numbers-buttons">
            <legend>{t("numbers.tpl.buttons")}</legend>
            <p className="numbers-hint">{t("numbers.tpl.buttonsHint")}</p>
            {draft.buttons.map((button, i) => (
              <ButtonFields
                key={i}
                index={i}
                button={button}
                problems={problems}
                onChange={(change) => setButton(i, change)}
                onRemove={() => set("buttons", draft.buttons.filter((_, j) => j !== i))}
              />
            ))}
            <FieldError id={`${titleId}-buttons`} text={problemOf("buttons")} />
            <div className="numbers-actions start">
              <button
                type="button"
                disabled={draft.buttons.length >= LIMITS.buttons}
                onClick={() => set("buttons", [...draft.buttons, newButton("QUICK_REPLY")])}
              >
                {t("numbers.tpl.addQuickReply")}
              </button>
              <button
                type="button"
                disabled={draft.buttons.length >= LIMITS.buttons || count("URL") >= LIMITS.urlButtons}
                onClick={() => set("buttons", [...draft.buttons, newButton("URL")])}
              >
                {t("numbers.tpl.addUrl")}
              </button>
              <button
                type="button"
                disabled={draft.buttons.length >= LIMITS.buttons || count("PHONE_NUMBER") >= LIMITS.phoneButtons}
                onClick={() => set("buttons", [...draft.buttons, newButton("PHONE_NUMBER")])}
              >
                {t("numbers.tpl.addPhone")}
              </button>
            </div>
          </fieldset>
        </div>
        <figure className="numbers-preview" aria-labelledby={`${titleId}-preview`}>
          <figcaption id={`${titleId}-preview`}>{t("numbers.tpl.preview")}</figcaption>
          <div className="numbers-bubble">
            {preview.header && <p className="numbers-bubble-header">{preview.header}</p>}
            <p className="numbers-bubble-body">{preview.body || <span className="muted">{t("numbers.tpl.previewEmpty")}</span>}</p>
            {preview.footer && <p className="numbers-bubble-footer">{preview.footer}</p>}
          </div>
          {preview.buttons.length > 0 && (
            <ul className="numbers-bubble-buttons">
              {preview.buttons.map((text, i) => (
                <li key={i}>{text}</li>
              ))}
            </ul>
          )}
        </figure>
      </div>
      {problems.length > 0 && (
        <p className="form-error" role="alert">
          {t("numbers.tpl.problems", { count: problems.length })}
        </p>
      )}
      {create.isError && <MetaErrorNotice error={create.error} />}
      <div className="numbers-actions">
        <button type="button" onClick={() => onDone(null)} disabled={create.isPending}>
          {t("numbers.cancel")}
        </button>
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? t("numbers.saving") : t("numbers.tpl.submit")}
        </button>
      </div>
    </form>
  );
}

function BodyField({
  value,
  onChange,
  problem,
  areaRef,
  onAddVariable,
}: {
  value: string;
  onChange: (value: string) => void;
  problem: string | null;
  areaRef: RefObject<HTMLTextAreaElement | null>;
  onAddVariable: () => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const count = [...value].length;
  return (
    <div className="numbers-field">
      <label htmlFor={id}>{t("numbers.tpl.body")}</label>
      <textarea
        id={id}
        ref={areaRef}
        rows={5}
        value={value}
        required
        aria-invalid={problem ? true : undefined}
        aria-describedby={[`${id}-hint`, problem ? `${id}-error` : null].filter(Boolean).join(" ")}
        onChange={(e) => onChange(e.target.value)}
      />
      <span id={`${id}-hint`} className="numbers-hint">
        {t("numbers.tpl.bodyHint")}{" "}
        <span className={count > LIMITS.body ? "over" : undefined}>{t("numbers.count", { count, max: LIMITS.body })}</span>
      </span>
      <FieldError id={`${id}-error`} text={problem} />
      <div className="numbers-actions start">
        <button type="button" onClick={onAddVariable}>
          {t("numbers.tpl.addVariable")}
        </button>
      </div>
    </div>
  );
}

function ButtonFields({
  index,
  button,
  problems,
  onChange,
  onRemove,
}: {
  index: number;
  button: ButtonDraft;
  problems: ReturnType<typeof draftProblems>;
  onChange: (change: Partial<ButtonDraft>) => void;
  onRemove: () => void;
}) {
  const { t } = useI18n();
  const kind = t(`numbers.tpl.kind.${button.kind}`);
  const n = index + 1;
  return (
    <fieldset className="numbers-button">
      <legend>{t("numbers.tpl.button", { n, kind })}</legend>
      <TextField
        label={t("numbers.tpl.buttonText", { n })}
        value={button.text}
        onChange={(text) => onChange({ text })}
        max={LIMITS.buttonText}
        problems={problems}
        field={`button.${index}.text`}
      />
      {button.kind === "URL" && (
        <>
          <TextField
            label={t("numbers.tpl.buttonUrl", { n })}
            value={button.url}
            onChange={(url) => onChange({ url })}
            problems={problems}
            field={`button.${index}.url`}
            hint={t("numbers.tpl.urlHint")}
            type="url"
          />
          {variablesOf(button.url).length > 0 && (
            <TextField
              label={t("numbers.tpl.buttonUrlExample", { n })}
              value={button.urlExample}
              onChange={(urlExample) => onChange({ urlExample })}
              problems={problems}
              field={`button.${index}.urlExample`}
              type="url"
            />
          )}
        </>
      )}
      {button.kind === "PHONE_NUMBER" && (
        <TextField
          label={t("numbers.tpl.buttonPhone", { n })}
          value={button.phone}
          onChange={(phone) => onChange({ phone })}
          problems={problems}
          field={`button.${index}.phone`}
          hint={t("numbers.tpl.phoneHint")}
          type="tel"
        />
      )}
      <button type="button" onClick={onRemove}>
        {t("numbers.tpl.removeButton", { n })}
      </button>
    </fieldset>
  );
}
