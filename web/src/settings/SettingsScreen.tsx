import type { Me } from "../api/client";
import { useI18n } from "../i18n/i18n";

/** The install's settings: numbers, users, roles, API tokens, and the caller's own password. */
export function SettingsScreen({ me: _me, section: _section }: { me: Me; section: string | null }) {
  const { t } = useI18n();
  return (
    <main className="settings">
      <h2>{t("settings.title")}</h2>
    </main>
  );
}
