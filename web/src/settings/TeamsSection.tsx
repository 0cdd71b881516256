import { useState, type FormEvent } from "react";
import { api, unwrap, type Schemas } from "../api/client";
import { useAccounts } from "../api/queries";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import { personName } from "../teamwork/logic";
import { teamKeys, useAgents, useTeams, type Agent, type Team } from "../teamwork/queries";
import { toggle } from "./logic";
import { ConfirmButton, Field, FocusedHeading, FormError, FormFooter, numberLabel } from "./parts";
import { done, useChange } from "./queries";

/** Teams: who is in each and which numbers each serves (automatic assignment picks among them). */
export function TeamsSection() {
  const { t } = useI18n();
  const teams = useTeams();
  const agents = useAgents(true, true);
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  if (teams.isError) return <ErrorNotice error={teams.error} onRetry={() => void teams.refetch()} />;
  if (agents.isError) return <ErrorNotice error={agents.error} onRetry={() => void agents.refetch()} />;
  if (!teams.data || !agents.data) return <p className="loading" role="status">{t("loading")}</p>;
  return (
    <section className="settings-section" aria-labelledby="teams-heading">
      <h3 id="teams-heading">{t("settings.section.teams")}</h3>
      <p className="hint">{t("teamwork.teams.intro")}</p>
      {adding ? (
        <TeamForm agents={agents.data} onClose={() => setAdding(false)} />
      ) : (
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t("teamwork.teams.add")}
        </button>
      )}
      {teams.data.length === 0 && <p className="muted">{t("teamwork.teams.none")}</p>}
      <ul className="settings-list">
        {teams.data.map((team) => (
          <li key={team.id} className="settings-item">
            {editing === team.id ? (
              <TeamForm team={team} agents={agents.data} onClose={() => setEditing(null)} />
            ) : (
              <TeamCard team={team} agents={agents.data} onEdit={() => setEditing(team.id)} />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function TeamCard({ team, agents, onEdit }: { team: Team; agents: Agent[]; onEdit: () => void }) {
  const { t } = useI18n();
  const accounts = useAccounts(true).data;
  const remove = useChange(
    async () => done(await api.DELETE("/api/v1/teams/{id}", { params: { path: { id: team.id } } })),
    [teamKeys.teams, teamKeys.agents],
  );
  const members = team.members.map((id) => {
    const agent = agents.find((a) => a.id === id);
    return agent ? personName(agent) : id;
  });
  return (
    <article aria-label={team.name}>
      <h4>{team.name}</h4>
      <dl className="settings-facts">
        <dt>{t("teamwork.teams.members")}</dt>
        <dd>{members.length > 0 ? members.join(", ") : t("teamwork.teams.noMembers")}</dd>
        <dt>{t("teamwork.teams.numbers")}</dt>
        <dd>{team.accounts.length > 0 ? team.accounts.map((id) => numberLabel(id, accounts)).join(", ") : t("teamwork.teams.noNumbers")}</dd>
      </dl>
      <div className="settings-actions">
        <button type="button" onClick={onEdit} aria-label={t("teamwork.teams.editOne", { team: team.name })}>
          {t("settings.edit")}
        </button>
        <ConfirmButton
          label={t("teamwork.teams.delete", { team: team.name })}
          title={t("teamwork.teams.delete", { team: team.name })}
          confirm={t("teamwork.delete")}
          onConfirm={() => remove.mutate()}
          disabled={remove.isPending}
        >
          <p>{t("teamwork.teams.deleteWarning")}</p>
        </ConfirmButton>
      </div>
      <FormError error={remove.error} />
    </article>
  );
}

/** Creates a team (no `team`) or replaces one whole: name, members, numbers. */
function TeamForm({ team, agents, onClose }: { team?: Team; agents: Agent[]; onClose: () => void }) {
  const { t } = useI18n();
  const accounts = useAccounts(true).data ?? [];
  const [name, setName] = useState(team?.name ?? "");
  const [members, setMembers] = useState<string[]>(team?.members ?? []);
  const [numbers, setNumbers] = useState<string[]>(team?.accounts ?? []);
  const [problem, setProblem] = useState<string | null>(null);
  const save = useChange(
    async (body: Schemas["TeamChange"]) =>
      team
        ? unwrap(await api.PUT("/api/v1/teams/{id}", { params: { path: { id: team.id } }, body }))
        : unwrap(await api.POST("/api/v1/teams", { body })),
    [teamKeys.teams, teamKeys.agents],
    onClose,
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === "") return setProblem(t("teamwork.teams.noName"));
    setProblem(null);
    save.mutate({ name: name.trim(), members, accounts: numbers });
  };
  const title = team ? t("teamwork.teams.editOne", { team: team.name }) : t("teamwork.teams.add");
  const active = agents.filter((a) => a.active || members.includes(a.id));
  return (
    <form className="settings-form" onSubmit={submit} aria-label={title}>
      <FocusedHeading>{title}</FocusedHeading>
      <Field label={t("teamwork.teams.name")}>
        {(field) => <input required maxLength={80} {...field} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <fieldset className="permission-checklist">
        <legend>{t("teamwork.teams.members")}</legend>
        <div className="permission-group">
          {active.map((agent) => (
            <label key={agent.id}>
              <input
                type="checkbox"
                checked={members.includes(agent.id)}
                onChange={(e) => setMembers(toggle(members, agent.id, e.target.checked))}
              />
              {personName(agent)}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset className="permission-checklist">
        <legend>{t("teamwork.teams.numbers")}</legend>
        <div className="permission-group">
          {accounts.map((account) => (
            <label key={account.id}>
              <input
                type="checkbox"
                checked={numbers.includes(account.id)}
                onChange={(e) => setNumbers(toggle(numbers, account.id, e.target.checked))}
              />
              {numberLabel(account.id, accounts)}
            </label>
          ))}
        </div>
      </fieldset>
      <FormFooter problem={problem} change={save} submit={team ? t("settings.save") : t("teamwork.teams.create")} onCancel={onClose} />
    </form>
  );
}
