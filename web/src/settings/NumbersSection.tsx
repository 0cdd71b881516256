import { useState, type FormEvent } from "react";
import { api, unwrap, type Account, type Me } from "../api/client";
import { keys, may, useAccounts } from "../api/queries";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import { followLink, numbersPath } from "../inbox/route";
import {
  mayAddNumber,
  newNumberBody,
  numberForm,
  numberPatch,
  PLAIN_FIELDS,
  SECRET_FIELDS,
  SECRET_SET,
  validPhoneNumberId,
  type NumberForm,
} from "./logic";
import { Field, FocusedHeading, FormFooter } from "./parts";
import { useChange } from "./queries";

/** The WhatsApp numbers: each with its settings and whether its secrets are set; add one, edit one. */
export function NumbersSection({ me }: { me: Me }) {
  const { t } = useI18n();
  const accounts = useAccounts(true);
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  if (accounts.isError) return <ErrorNotice error={accounts.error} onRetry={() => void accounts.refetch()} />;
  if (!accounts.data) return <p className="loading" role="status">{t("loading")}</p>;
  const list = accounts.data;
  return (
    <section className="settings-section" aria-labelledby="numbers-heading">
      <h3 id="numbers-heading">{t("settings.section.numbers")}</h3>
      <p className="muted">{t("settings.numbers.intro")}</p>
      <ul className="settings-list">
        {list.map((account) => (
          <li key={account.id} className="settings-item">
            {editing === account.id ? (
              <NumberEditor account={account} onClose={() => setEditing(null)} />
            ) : (
              <NumberSummary
                account={account}
                canEdit={may(me, "accounts.manage", account.id)}
                onEdit={() => setEditing(account.id)}
              />
            )}
          </li>
        ))}
      </ul>
      {mayAddNumber(me, list) &&
        (adding ? (
          <NumberEditor onClose={() => setAdding(false)} />
        ) : (
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            {t("settings.numbers.add")}
          </button>
        ))}
    </section>
  );
}

function NumberSummary({ account, canEdit, onEdit }: { account: Account; canEdit: boolean; onEdit: () => void }) {
  const { t } = useI18n();
  const title = account.name ?? account.display_name ?? account.phone_number ?? account.id;
  return (
    <article aria-label={title}>
      <h4>{title}</h4>
      <dl className="settings-facts">
        <dt>{t("settings.numbers.phoneNumber")}</dt>
        <dd>{account.phone_number ?? t("settings.notSet")}</dd>
        <dt>{t("settings.numbers.id")}</dt>
        <dd>{account.id}</dd>
        <dt>{t("settings.numbers.businessAccount")}</dt>
        <dd>{account.business_account_id ?? account.waba_id ?? t("settings.notSet")}</dd>
        {SECRET_FIELDS.map((field) => (
          <SecretFact key={field} label={t(`settings.numbers.${field}`)} set={account[SECRET_SET[field]]} />
        ))}
      </dl>
      <div className="settings-actions">
        <a href={numbersPath(account.id)} onClick={(e) => followLink(e, numbersPath(account.id))}>
          {t("settings.numbers.metaPage", { number: title })}
        </a>
        {canEdit && (
          <button type="button" onClick={onEdit} aria-label={t("settings.numbers.editOne", { number: title })}>
            {t("settings.edit")}
          </button>
        )}
      </div>
    </article>
  );
}

function SecretFact({ label, set }: { label: string; set: boolean }) {
  const { t } = useI18n();
  return (
    <>
      <dt>{label}</dt>
      <dd>{set ? t("settings.secret.set") : t("settings.secret.unset")}</dd>
    </>
  );
}

/** Adds a number (no `account`) or changes one. Secrets are never shown: a blank field keeps the one stored. */
function NumberEditor({ account, onClose }: { account?: Account; onClose: () => void }) {
  const { t } = useI18n();
  const [form, setForm] = useState<NumberForm>(() => numberForm(account));
  const [problem, setProblem] = useState<string | null>(null);
  const save = useChange(
    async (f: NumberForm) =>
      account
        ? unwrap(await api.PATCH("/api/v1/accounts/{id}", { params: { path: { id: account.id } }, body: numberPatch(account, f) }))
        : unwrap(await api.POST("/api/v1/accounts", { body: newNumberBody(f) })),
    [keys.accounts, keys.me],
    onClose,
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!account && !validPhoneNumberId(form.phone_number_id.trim())) {
      setProblem(t("settings.numbers.badId"));
      return;
    }
    if (account && Object.keys(numberPatch(account, form)).length === 0) {
      onClose();
      return;
    }
    setProblem(null);
    save.mutate(form);
  };
  const set = (field: keyof NumberForm) => (e: { target: { value: string } }) => setForm({ ...form, [field]: e.target.value });
  const title = account ? t("settings.numbers.editTitle", { number: account.name ?? account.phone_number ?? account.id }) : t("settings.numbers.add");
  return (
    <form className="settings-form" onSubmit={submit} aria-label={title}>
      <FocusedHeading>{title}</FocusedHeading>
      {!account && (
        <Field label={t("settings.numbers.id")} hint={t("settings.numbers.idHint")}>
          {(field) => (
            <input
              required
              inputMode="numeric"
              maxLength={32}
              {...field}
              value={form.phone_number_id}
              onChange={set("phone_number_id")}
            />
          )}
        </Field>
      )}
      {PLAIN_FIELDS.map((field) => (
        <label key={field}>
          <span className="field-label">{t(`settings.numbers.${field}`)}</span>
          <input value={form[field]} onChange={set(field)} />
        </label>
      ))}
      {SECRET_FIELDS.map((field) => {
        const stored = account?.[SECRET_SET[field]] ?? false;
        return (
          <Field
            key={field}
            label={stored ? t("settings.secret.replace", { what: t(`settings.numbers.${field}`) }) : t(`settings.numbers.${field}`)}
            hint={stored ? t("settings.secret.keepHint") : t("settings.secret.unsetHint")}
          >
            {(props) => <input type="password" autoComplete="off" {...props} value={form[field]} onChange={set(field)} />}
          </Field>
        );
      })}
      <FormFooter problem={problem} change={save} submit={account ? t("settings.save") : t("settings.numbers.addSubmit")} onCancel={onClose} />
    </form>
  );
}
