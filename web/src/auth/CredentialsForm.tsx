import { useState, type FormEvent } from "react";
import { useI18n } from "../i18n/i18n";

export interface Credentials {
  name: string;
  email: string;
  password: string;
}

/**
 * The email and password form of signing in and of creating the first admin (who also gives a name and
 * chooses a new password, which password managers then offer to keep).
 */
export function CredentialsForm({
  newAccount,
  error,
  pending,
  submitLabel,
  onSubmit,
}: {
  newAccount: boolean;
  /** What went wrong, in words. */
  error: string | null;
  pending: boolean;
  submitLabel: string;
  onSubmit: (credentials: Credentials) => void;
}) {
  const { t } = useI18n();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit({ name, email, password });
  };
  return (
    <form className="auth-form" onSubmit={submit}>
      {newAccount && (
        <label>
          {t("auth.name")}
          <input autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
      )}
      <label>
        {t("auth.email")}
        <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        {t("auth.password")}
        <input
          type="password"
          autoComplete={newAccount ? "new-password" : "current-password"}
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={pending}>
        {submitLabel}
      </button>
    </form>
  );
}
