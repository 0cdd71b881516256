import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";

const TICKS: Record<string, string> = {
  queued: "🕓",
  sending: "🕓",
  retrying: "🕓",
  accepted: "✓",
  sent: "✓",
  delivered: "✓✓",
  read: "✓✓",
  played: "✓✓",
  failed: "!",
};

/** An outbound message's status as ticks, named in words for screen readers. */
export function StatusTicks({ status }: { status: string }) {
  const { t } = useI18n();
  const known = status in TICKS;
  const label = known ? t(`message.status.${status}` as MessageKey) : status;
  return (
    <span className={`status status-${known ? status : "other"}`} role="img" aria-label={label} title={label}>
      {TICKS[status] ?? "?"}
    </span>
  );
}
