import type { Me } from "../api/client";
import { useI18n } from "../i18n/i18n";
import { useAgents, useSetAvailability } from "./queries";

/**
 * The signed-in agent's "Available / Away" switch: automatic assignment only gives conversations to those
 * available. Someone who never said counts as away.
 */
export function AvailabilitySwitch({ me }: { me: Me }) {
  const { t } = useI18n();
  const agents = useAgents(me.user != null);
  const change = useSetAvailability();
  const self = agents.data?.find((a) => a.id === me.user?.id);
  if (!me.user || !self) return null;
  const available = change.isPending && change.variables !== undefined ? change.variables : self.available;
  return (
    <button
      type="button"
      role="switch"
      className={available ? "availability available" : "availability"}
      aria-checked={available}
      aria-label={t("teamwork.availability")}
      disabled={change.isPending}
      onClick={() => change.mutate(!available)}
    >
      <span className="availability-dot" aria-hidden="true" />
      {available ? t("teamwork.available") : t("teamwork.away")}
    </button>
  );
}
