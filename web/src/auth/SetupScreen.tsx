import { useI18n } from "../i18n/i18n";
import { useSetup } from "./session";
import { AuthLayout } from "./AuthLayout";
import { CredentialsForm } from "./CredentialsForm";
import { messageOf } from "../ErrorNotice";

/** A new install: the first user, who becomes its admin. */
export function SetupScreen() {
  const { t } = useI18n();
  const setup = useSetup();
  return (
    <AuthLayout title={t("auth.setup.title")}>
      <p>{t("auth.setup.intro")}</p>
      <CredentialsForm
        newAccount
        error={setup.error ? messageOf(setup.error) : null}
        pending={setup.isPending}
        submitLabel={t("auth.setup.submit")}
        onSubmit={(credentials) => setup.mutate(credentials)}
      />
    </AuthLayout>
  );
}
