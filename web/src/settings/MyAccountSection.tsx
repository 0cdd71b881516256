import { useState, type FormEvent } from "react";
import { api, ApiError, type Me } from "../api/client";
import { useI18n } from "../i18n/i18n";
import { Preferences } from "../prefs/Preferences";
import { passwordProblem } from "./logic";
import { Field, FormError } from "./parts";
import { done, useChange } from "./queries";

/** The caller's own account: who they are, their password, their language and theme. */
export function MyAccountSection({ me }: { me: Me }) {
  const { t } = useI18n();
  return (
    <section className="settings-section" aria-labelledby="account-heading">
      <h3 id="account-heading">{t("settings.section.account")}</h3>
      {me.user && (
        <dl className="settings-facts">
          <dt>{t("settings.users.name")}</dt>
          <dd>{me.user.name ?? t("settings.notSet")}</dd>
          <dt>{t("settings.users.email")}</dt>
          <dd>{me.user.email}</dd>
        </dl>
      )}
      {me.authenticated_by === "session" ? <PasswordForm /> : <p className="hint">{t("settings.password.sessionOnly")}</p>}
      <div className="settings-form" role="group" aria-labelledby="prefs-heading">
        <h4 id="prefs-heading">{t("settings.account.display")}</h4>
        <Preferences />
      </div>
    </section>
  );
}

function PasswordForm() {
  const { t } = useI18n();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [changed, setChanged] = useState(false);
  const change = useChange(
    async (body: { current_password: string; new_password: string }) => done(await api.PUT("/api/v1/auth/password", { body })),
    [],
    () => {
      setCurrent("");
      setNext("");
      setAgain("");
      setChanged(true);
    },
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setChanged(false);
    const weak = passwordProblem(next);
    if (weak) return setProblem(t(`settings.password.${weak}`));
    if (next !== again) return setProblem(t("settings.password.mismatch"));
    setProblem(null);
    change.mutate({ current_password: current, new_password: next });
  };
  const wrongCurrent = change.error instanceof ApiError && change.error.code === "invalid_credentials";
  return (
    <form className="settings-form" onSubmit={submit} aria-label={t("settings.password.title")}>
      <h4>{t("settings.password.title")}</h4>
      <label>
        <span className="field-label">{t("settings.password.current")}</span>
        <input type="password" required autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
      </label>
      <Field label={t("settings.password.new")} hint={t("settings.password.rules")}>
        {(field) => (
          <input
            type="password"
            required
            autoComplete="new-password"
            {...field}
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
        )}
      </Field>
      <label>
        <span className="field-label">{t("settings.password.again")}</span>
        <input type="password" required autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />
      </label>
      <p className="hint">{t("settings.password.othersEnd")}</p>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      {wrongCurrent ? (
        <p className="form-error" role="alert">
          {t("settings.password.wrongCurrent")}
        </p>
      ) : (
        <FormError error={change.error} />
      )}
      {changed && <p role="status">{t("settings.password.changed")}</p>}
      <button type="submit" className="primary" disabled={change.isPending}>
        {t("settings.password.submit")}
      </button>
    </form>
  );
}
