import { useI18n } from "../i18n/i18n";
import { useSignIn } from "./session";
import { AuthLayout } from "./AuthLayout";
import { CredentialsForm } from "./CredentialsForm";
import { ApiError } from "../api/client";
import { messageOf } from "../ErrorNotice";

export function SignInScreen() {
  const { t } = useI18n();
  const signIn = useSignIn();
  const error = signIn.error;
  return (
    <AuthLayout title={t("auth.signIn.title")}>
      <CredentialsForm
        newAccount={false}
        error={error ? (error instanceof ApiError && error.code === "invalid_credentials" ? t("auth.wrong") : messageOf(error)) : null}
        pending={signIn.isPending}
        submitLabel={t("auth.signIn.submit")}
        onSubmit={({ email, password }) => signIn.mutate({ email, password })}
      />
    </AuthLayout>
  );
}
