import { useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import { LabelChip } from "../teamwork/LabelChip";
import { validColour } from "../teamwork/logic";
import { teamKeys, useLabels, type Label } from "../teamwork/queries";
import { ConfirmButton, Field, FocusedHeading, FormError, FormFooter } from "./parts";
import { done, useChange } from "./queries";

const FIRST_COLOUR = "#2f80ed";

/** Labels agents put on conversations: a name and a colour each. */
export function LabelsSection() {
  const { t } = useI18n();
  const labels = useLabels();
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  if (labels.isError) return <ErrorNotice error={labels.error} onRetry={() => void labels.refetch()} />;
  if (!labels.data) return <p className="loading" role="status">{t("loading")}</p>;
  return (
    <section className="settings-section" aria-labelledby="labels-heading">
      <h3 id="labels-heading">{t("settings.section.labels")}</h3>
      <p className="hint">{t("teamwork.labels.intro")}</p>
      {adding ? (
        <LabelForm onClose={() => setAdding(false)} />
      ) : (
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t("teamwork.labels.add")}
        </button>
      )}
      {labels.data.length === 0 && <p className="muted">{t("teamwork.labels.none")}</p>}
      <ul className="settings-list">
        {labels.data.map((label) => (
          <li key={label.id} className="settings-item">
            {editing === label.id ? (
              <LabelForm label={label} onClose={() => setEditing(null)} />
            ) : (
              <LabelCard label={label} onEdit={() => setEditing(label.id)} />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function LabelCard({ label, onEdit }: { label: Label; onEdit: () => void }) {
  const { t } = useI18n();
  const remove = useChange(
    async () => done(await api.DELETE("/api/v1/labels/{id}", { params: { path: { id: label.id } } })),
    [teamKeys.labels],
  );
  return (
    <article aria-label={label.name} className="label-card">
      <LabelChip label={label} />
      <div className="settings-actions">
        <button type="button" onClick={onEdit} aria-label={t("teamwork.labels.editOne", { label: label.name })}>
          {t("settings.edit")}
        </button>
        <ConfirmButton
          label={t("teamwork.labels.delete", { label: label.name })}
          title={t("teamwork.labels.delete", { label: label.name })}
          confirm={t("teamwork.delete")}
          onConfirm={() => remove.mutate()}
          disabled={remove.isPending}
        >
          <p>{t("teamwork.labels.deleteWarning")}</p>
        </ConfirmButton>
      </div>
      <FormError error={remove.error} />
    </article>
  );
}

/** Creates a label (no `label`) or renames and recolours one. */
function LabelForm({ label, onClose }: { label?: Label; onClose: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState(label?.name ?? "");
  const [colour, setColour] = useState(label?.colour ?? FIRST_COLOUR);
  const [problem, setProblem] = useState<string | null>(null);
  const save = useChange(
    async (body: { name: string; colour: string }) =>
      label
        ? unwrap(await api.PUT("/api/v1/labels/{id}", { params: { path: { id: label.id } }, body }))
        : unwrap(await api.POST("/api/v1/labels", { body })),
    [teamKeys.labels],
    onClose,
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === "") return setProblem(t("teamwork.labels.noName"));
    if (!validColour(colour)) return setProblem(t("teamwork.labels.badColour"));
    setProblem(null);
    save.mutate({ name: name.trim(), colour: colour.toLowerCase() });
  };
  const title = label ? t("teamwork.labels.editOne", { label: label.name }) : t("teamwork.labels.add");
  return (
    <form className="settings-form" onSubmit={submit} aria-label={title}>
      <FocusedHeading>{title}</FocusedHeading>
      <Field label={t("teamwork.labels.name")}>
        {(field) => <input required maxLength={50} {...field} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label={t("teamwork.labels.colour")}>
        {(field) => <input type="color" {...field} value={colour} onChange={(e) => setColour(e.target.value)} />}
      </Field>
      <p className="hint">
        {t("teamwork.labels.preview")} <LabelChip label={{ name: name.trim() || t("teamwork.labels.name"), colour }} />
      </p>
      <FormFooter problem={problem} change={save} submit={label ? t("settings.save") : t("teamwork.labels.create")} onCancel={onClose} />
    </form>
  );
}
