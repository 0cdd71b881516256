import type { Me } from "../api/client";
import { useI18n } from "../i18n/i18n";

/** The WhatsApp numbers as Meta sees them: info and quality, profile, templates, webhooks, token. */
export function NumbersScreen({ me: _me, account: _account }: { me: Me; account: string | null }) {
  const { t } = useI18n();
  return (
    <main className="numbers">
      <h2>{t("numbers.title")}</h2>
    </main>
  );
}
