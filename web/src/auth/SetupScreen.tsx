import { useState, type FormEvent } from "react";
import { useI18n } from "../i18n/i18n";
import { useSetup } from "./session";
import { AuthLayout } from "./AuthLayout";
import { messageOf } from "../ErrorNotice";

/** A new install: the first user, who becomes its admin. */
export function SetupScreen() {
  const { t } = useI18n();
  const setup = useSetup();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setup.mutate({ name, email, password });
  };
  return (
    <AuthLayout title={t("auth.setup.title")}>
      <p>{t("auth.setup.intro")}</p>
      <form className="auth-form" onSubmit={submit}>
        <label>
          {t("auth.name")}
          <input autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          {t("auth.email")}
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          {t("auth.password")}
          <input
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {setup.error && (
          <p className="form-error" role="alert">
            {messageOf(setup.error)}
          </p>
        )}
        <button type="submit" className="primary" disabled={setup.isPending}>
          {t("auth.setup.submit")}
        </button>
      </form>
    </AuthLayout>
  );
}
