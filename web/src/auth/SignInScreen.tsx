import { useState, type FormEvent } from "react";
import { useI18n } from "../i18n/i18n";
import { useSignIn } from "./session";
import { AuthLayout } from "./AuthLayout";
import { ApiError } from "../api/client";
import { messageOf } from "../ErrorNotice";

export function SignInScreen() {
  const { t } = useI18n();
  const signIn = useSignIn();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate({ email, password });
  };
  const error = signIn.error;
  return (
    <AuthLayout title={t("auth.signIn.title")}>
      <form className="auth-form" onSubmit={submit}>
        <label>
          {t("auth.email")}
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          {t("auth.password")}
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error instanceof ApiError && error.code === "invalid_credentials" ? t("auth.wrong") : messageOf(error)}
          </p>
        )}
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {t("auth.signIn.submit")}
        </button>
      </form>
    </AuthLayout>
  );
}
