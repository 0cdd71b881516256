import { useId, useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Conversation, type Me } from "../api/client";
import { keys, may } from "../api/queries";
import { updateLists } from "../api/conversationLists";
import { messageOf } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import { LabelChip } from "./LabelChip";
import { personName, SNOOZES, snoozeUntil, type ConversationStatus, type Snooze } from "./logic";
import { useAgents, useLabels, useTeams } from "./queries";
import { markTakenMyself } from "./selfAssigned";

type Change =
  | { kind: "status"; status: ConversationStatus; snoozed_until?: string | null }
  | { kind: "assignee"; agent: string | null; team: string | null }
  | { kind: "label"; label: string; on: boolean };

/**
 * A conversation's team work under its header: its status (resolve, resolve and go to the next, pending,
 * snooze, reopen), who it is assigned to (an agent, a team), and its labels. Status and labels need
 * `conversations.manage`, assigning `conversations.assign`; without them the controls are disabled.
 */
export function ConversationTeamwork({
  conversation,
  me,
  onResolvedNext,
}: {
  conversation: Conversation;
  me: Me;
  /** Opens the conversation after this one in the list (for "Resolve and go to next"). */
  onResolvedNext: () => void;
}) {
  const { t } = useI18n();
  const client = useQueryClient();
  const account = conversation.account_id;
  const canManage = may(me, "conversations.manage", account);
  const canAssign = may(me, "conversations.assign", account);
  const agents = useAgents(true, true).data ?? [];
  const teams = useTeams().data ?? [];
  const labels = useLabels().data ?? [];
  const assigneeId = useId();
  const teamId = useId();
  const labelId = useId();
  const change = useMutation({
    mutationFn: async (change: Change) => {
      const path = { params: { path: { id: conversation.id } } };
      switch (change.kind) {
        case "status":
          return unwrap(
            await api.PUT("/api/v1/conversations/{id}/status", {
              ...path,
              body: { status: change.status, snoozed_until: change.snoozed_until ?? null },
            }),
          );
        case "assignee":
          return unwrap(await api.PUT("/api/v1/conversations/{id}/assignee", { ...path, body: { agent: change.agent, team: change.team } }));
        case "label": {
          const params = { params: { path: { id: conversation.id, label: change.label } } };
          return unwrap(
            change.on
              ? await api.PUT("/api/v1/conversations/{id}/labels/{label}", params)
              : await api.DELETE("/api/v1/conversations/{id}/labels/{label}", params),
          );
        }
      }
    },
    onSuccess: (updated) => {
      client.setQueryData(keys.conversation(conversation.id), updated);
      updateLists(client, updated);
      void client.invalidateQueries({ queryKey: [...keys.conversations, "counts"] });
    },
  });
  const status = conversation.status as ConversationStatus;
  const setStatus = (next: ConversationStatus, snoozed_until?: string | null) => change.mutate({ kind: "status", status: next, snoozed_until });
  const self = me.user?.id ?? null;
  const assign = (agent: string | null, team: string | null) => {
    if (agent !== null && agent === self && conversation.assignee !== self) markTakenMyself(conversation.id);
    change.mutate({ kind: "assignee", agent, team });
  };
  const applied = conversation.labels
    .map((id) => labels.find((l) => l.id === id))
    .filter((l): l is NonNullable<typeof l> => l !== undefined);
  const addable = labels.filter((l) => !conversation.labels.includes(l.id));
  const busy = change.isPending;

  return (
    <div className="teamwork-bar" role="group" aria-label={t("teamwork.bar")}>
      <StatusLine conversation={conversation} />
      {status !== "resolved" && (
        <>
          <button type="button" className="primary" disabled={!canManage || busy} onClick={() => setStatus("resolved")}>
            {t("teamwork.status.resolve")}
          </button>
          <button
            type="button"
            disabled={!canManage || busy}
            onClick={() => change.mutate({ kind: "status", status: "resolved" }, { onSuccess: onResolvedNext })}
          >
            {t("teamwork.status.resolveNext")}
          </button>
        </>
      )}
      {status === "open" && (
        <button type="button" disabled={!canManage || busy} onClick={() => setStatus("pending")}>
          {t("teamwork.status.markPending")}
        </button>
      )}
      {status !== "open" && (
        <button type="button" disabled={!canManage || busy} onClick={() => setStatus("open")}>
          {t("teamwork.status.reopen")}
        </button>
      )}
      {status !== "resolved" && (
        <SnoozeMenu disabled={!canManage || busy} onSnooze={(choice) => setStatus("snoozed", snoozeUntil(choice, new Date())?.toISOString() ?? null)} />
      )}
      <label htmlFor={assigneeId}>{t("teamwork.assignee")}</label>
      <select
        id={assigneeId}
        value={conversation.assignee ?? ""}
        disabled={!canAssign || busy}
        onChange={(e) => assign(e.target.value === "" ? null : e.target.value, conversation.team_id ?? null)}
      >
        <option value="">{t("teamwork.assignee.nobody")}</option>
        {agents
          .filter((a) => a.active || a.id === conversation.assignee)
          .map((a) => (
            <option key={a.id} value={a.id}>
              {a.available ? personName(a) : t("teamwork.assignee.away", { name: personName(a) })}
            </option>
          ))}
      </select>
      {canAssign && self !== null && conversation.assignee !== self && (
        <button type="button" disabled={busy} onClick={() => assign(self, conversation.team_id ?? null)}>
          {t("teamwork.assignee.me")}
        </button>
      )}
      <label htmlFor={teamId}>{t("teamwork.team")}</label>
      <select
        id={teamId}
        value={conversation.team_id ?? ""}
        disabled={!canAssign || busy}
        onChange={(e) => assign(conversation.assignee ?? null, e.target.value === "" ? null : e.target.value)}
      >
        <option value="">{t("teamwork.team.none")}</option>
        {teams.map((team) => (
          <option key={team.id} value={team.id}>
            {team.name}
          </option>
        ))}
      </select>
      <ul className="labels" aria-label={t("teamwork.labels")}>
        {applied.map((label) => (
          <li key={label.id}>
            <LabelChip label={label}>
              {canManage && (
                <button
                  type="button"
                  aria-label={t("teamwork.labels.remove", { label: label.name })}
                  disabled={busy}
                  onClick={() => change.mutate({ kind: "label", label: label.id, on: false })}
                >
                  <span aria-hidden="true">×</span>
                </button>
              )}
            </LabelChip>
          </li>
        ))}
      </ul>
      {canManage && addable.length > 0 && (
        <>
          <label htmlFor={labelId} className="visually-hidden">
            {t("teamwork.labels.addTo")}
          </label>
          <select
            id={labelId}
            value=""
            disabled={busy}
            onChange={(e) => e.target.value !== "" && change.mutate({ kind: "label", label: e.target.value, on: true })}
          >
            <option value="">{t("teamwork.labels.addTo")}</option>
            {addable.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        </>
      )}
      {change.error && (
        <p className="form-error" role="alert">
          {messageOf(change.error)}
        </p>
      )}
    </div>
  );
}

/** The status in words, with until when a snooze lasts. */
function StatusLine({ conversation }: { conversation: Conversation }) {
  const { t, locale } = useI18n();
  const status = conversation.status as ConversationStatus;
  const text =
    status === "snoozed"
      ? conversation.snoozed_until
        ? t("teamwork.status.snoozedUntil", {
            time: new Date(conversation.snoozed_until).toLocaleString(locale, { weekday: "short", hour: "2-digit", minute: "2-digit" }),
          })
        : t("teamwork.status.snoozedCustomer")
      : t(`teamwork.status.${status}`);
  return <span className={`status-chip status-${status}`}>{text}</span>;
}

/** "Snooze": a button that shows the choices (1 hour, tomorrow 9:00, next week, until the customer writes). */
function SnoozeMenu({ disabled, onSnooze }: { disabled: boolean; onSnooze: (choice: Snooze) => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const menuId = useId();
  return (
    <span className="picker" onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
      <button type="button" aria-expanded={open} aria-controls={menuId} disabled={disabled} onClick={() => setOpen(!open)}>
        {t("teamwork.status.snooze")}
      </button>
      {open && (
        <ul id={menuId} className="picker-list snooze-list" aria-label={t("teamwork.status.snooze")}>
          {SNOOZES.map((choice) => (
            <li key={choice}>
              <button
                type="button"
                onClick={() => {
                  setOpen(false);
                  onSnooze(choice);
                }}
              >
                {t(`teamwork.snooze.${choice}`)}
              </button>
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}
