import type { Conversation } from "../api/client";
import { useI18n } from "../i18n/i18n";
import { LabelChip } from "./LabelChip";
import { personInitials, personName, type ConversationStatus } from "./logic";
import { useAgents, useLabels } from "./queries";

/** A list row's team work: the status (when not open), the assignee's initials (named for screen readers) and the labels. */
export function RowTeamwork({ conversation }: { conversation: Conversation }) {
  const { t } = useI18n();
  const agents = useAgents().data;
  const labels = useLabels().data;
  const status = conversation.status as ConversationStatus;
  const assignee = conversation.assignee ? agents?.find((a) => a.id === conversation.assignee) : undefined;
  const applied = (labels ?? []).filter((l) => conversation.labels.includes(l.id));
  return (
    <span className="row-chips">
      {status !== "open" && <span className={`status-chip status-${status}`}>{t(`teamwork.status.${status}`)}</span>}
      {applied.map((label) => (
        <LabelChip key={label.id} label={label} />
      ))}
      {assignee && (
        <span className="assignee-chip" title={t("teamwork.row.assignee", { name: personName(assignee) })}>
          <span aria-hidden="true">{personInitials(personName(assignee))}</span>
          <span className="visually-hidden">{t("teamwork.row.assignee", { name: personName(assignee) })}</span>
        </span>
      )}
    </span>
  );
}
