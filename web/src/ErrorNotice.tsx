import { useI18n } from "./i18n/i18n";

/** A failed load, said in words, with a way to try again. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const reason = error instanceof TypeError ? t("error.network") : t("error.generic", { reason: messageOf(error) });
  return (
    <div className="error-notice" role="alert">
      <p>{reason}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t("retry")}
        </button>
      )}
    </div>
  );
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
