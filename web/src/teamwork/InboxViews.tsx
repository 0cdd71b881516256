import { useId } from "react";
import * as ToggleGroup from "@radix-ui/react-toggle-group";
import { useI18n } from "../i18n/i18n";
import { STATUSES, VIEWS, type ConversationStatus, type InboxView, type TeamFilter } from "./logic";
import { useConversationCounts, useLabels, useTeams } from "./queries";

/**
 * The inbox's team views: Mine, Unassigned and All with how many each holds (for the status shown), the
 * status (Open, Pending, Snoozed, Resolved, or any), a label and a team. They live in the address (`route.ts`).
 */
export function InboxViews({
  account,
  value,
  onChange,
}: {
  account: string | null;
  value: TeamFilter;
  onChange: (filter: TeamFilter) => void;
}) {
  const { t } = useI18n();
  const counts = useConversationCounts(account, value.status).data;
  const labels = useLabels().data ?? [];
  const teams = useTeams().data ?? [];
  const statusId = useId();
  const labelId = useId();
  const teamId = useId();
  const countOf = (view: InboxView) => (counts ? counts[view] : undefined);
  const labelCount = (id: string) => counts?.labels.find((l) => l.id === id)?.count ?? 0;
  const teamCount = (id: string) => counts?.teams.find((x) => x.id === id)?.count ?? 0;
  return (
    <div className="inbox-views">
      <ToggleGroup.Root
        type="single"
        className="filter-group"
        aria-label={t("teamwork.views")}
        value={value.view}
        onValueChange={(next) => {
          if (next) onChange({ ...value, view: next as InboxView });
        }}
      >
        {VIEWS.map((view) => {
          const count = countOf(view);
          return (
            <ToggleGroup.Item key={view} value={view} className="filter-item">
              {t(`teamwork.view.${view}`)}
              {count !== undefined && (
                <>
                  {" "}
                  <span className="badge">{count}</span>
                </>
              )}
            </ToggleGroup.Item>
          );
        })}
      </ToggleGroup.Root>
      <label htmlFor={statusId} className="visually-hidden">
        {t("teamwork.filter.status")}
      </label>
      <select
        id={statusId}
        value={value.status ?? ""}
        onChange={(e) => onChange({ ...value, status: e.target.value === "" ? null : (e.target.value as ConversationStatus) })}
      >
        {STATUSES.map((status) => (
          <option key={status} value={status}>
            {t(`teamwork.status.${status}`)}
            {counts ? ` (${counts[status]})` : ""}
          </option>
        ))}
        <option value="">{t("teamwork.filter.anyStatus")}</option>
      </select>
      {labels.length > 0 && (
        <>
          <label htmlFor={labelId} className="visually-hidden">
            {t("teamwork.filter.label")}
          </label>
          <select id={labelId} value={value.label ?? ""} onChange={(e) => onChange({ ...value, label: e.target.value === "" ? null : e.target.value })}>
            <option value="">{t("teamwork.filter.anyLabel")}</option>
            {labels.map((label) => (
              <option key={label.id} value={label.id}>
                {label.name} ({labelCount(label.id)})
              </option>
            ))}
          </select>
        </>
      )}
      {teams.length > 0 && (
        <>
          <label htmlFor={teamId} className="visually-hidden">
            {t("teamwork.filter.team")}
          </label>
          <select id={teamId} value={value.team ?? ""} onChange={(e) => onChange({ ...value, team: e.target.value === "" ? null : e.target.value })}>
            <option value="">{t("teamwork.filter.anyTeam")}</option>
            {teams.map((team) => (
              <option key={team.id} value={team.id}>
                {team.name} ({teamCount(team.id)})
              </option>
            ))}
          </select>
        </>
      )}
    </div>
  );
}
