import { useEffect, useId, useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";
import { useTeams } from "../teamwork/queries";
import { useSaveTeamworkSettings, useTeamworkSettings } from "./queries";
import { DAYS, draftOf, settingsOf, type DraftProblem, type TeamworkDraft } from "./teamworkSettings";

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/**
 * The number's business hours (time zone, each day's opening times, holidays), the away message sent
 * outside them, and the team its new conversations go to in turn. Read by all who see the number,
 * changed by those who manage it.
 */
export function TeamworkSection({ id, canEdit }: { id: string; canEdit: boolean }) {
  const { t } = useI18n();
  const settings = useTeamworkSettings(id);
  return (
    <section className="numbers-section" aria-labelledby="number-teamwork">
      <div className="numbers-section-head">
        <h3 id="number-teamwork">{t("numbers.teamwork")}</h3>
      </div>
      {settings.isError ? (
        <ErrorNotice error={settings.error} />
      ) : !settings.data ? (
        <p className="loading" role="status">
          {t("loading")}
        </p>
      ) : (
        <TeamworkForm id={id} initial={draftOf(settings.data, browserZone())} canEdit={canEdit} />
      )}
    </section>
  );
}

function TeamworkForm({ id, initial, canEdit }: { id: string; initial: TeamworkDraft; canEdit: boolean }) {
  const { t } = useI18n();
  const teams = useTeams(canEdit);
  const save = useSaveTeamworkSettings(id);
  const [draft, setDraft] = useState(initial);
  const [problems, setProblems] = useState<DraftProblem[]>([]);
  const [saved, setSaved] = useState(false);
  useEffect(() => setSaved(false), [draft]);
  const ids = { enabled: useId(), zone: useId(), holidays: useId(), away: useId(), team: useId(), capacity: useId(), hint: useId() };
  const dayIds = { mon: useId(), tue: useId(), wed: useId(), thu: useId(), fri: useId(), sat: useId(), sun: useId() };
  const problemOf = (field: string) => problems.find((p) => p.field === field);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = settingsOf(draft);
    if ("problems" in result) {
      setProblems(result.problems);
      return;
    }
    setProblems([]);
    save.mutate(result.settings, { onSuccess: () => setSaved(true) });
  };
  const refusal = save.error instanceof ApiError ? save.error : null;
  const details = (refusal?.details ?? null) as { field?: string; reason?: string } | null;
  const served = (teams.data ?? []).filter((team) => team.accounts.includes(id) || team.id === draft.team);
  return (
    <form className="numbers-form" onSubmit={submit} noValidate>
      <fieldset disabled={!canEdit || save.isPending}>
        <label className="numbers-check" htmlFor={ids.enabled}>
          <input id={ids.enabled} type="checkbox" checked={draft.enabled} onChange={(e) => setDraft({ ...draft, enabled: e.target.checked })} />
          {t("numbers.teamwork.enabled")}
        </label>
        <label htmlFor={ids.zone}>{t("numbers.teamwork.zone")}</label>
        <input id={ids.zone} value={draft.timeZone} maxLength={64} onChange={(e) => setDraft({ ...draft, timeZone: e.target.value })} />
        <p id={ids.hint} className="muted">
          {t("numbers.teamwork.hoursHint")}
        </p>
        {DAYS.map((day) => {
          const problem = problemOf(`days.${day}`);
          return (
            <div key={day} className="numbers-field">
              <label htmlFor={dayIds[day]}>{t(`numbers.teamwork.day.${day}` as MessageKey)}</label>
              <input
                id={dayIds[day]}
                value={draft.days[day]}
                placeholder="09:00-18:00"
                aria-describedby={ids.hint}
                aria-invalid={problem ? true : undefined}
                onChange={(e) => setDraft({ ...draft, days: { ...draft.days, [day]: e.target.value } })}
              />
              {problem && <p className="form-error">{t(`numbers.teamwork.${problem.problem}`)}</p>}
            </div>
          );
        })}
        <label htmlFor={ids.holidays}>{t("numbers.teamwork.holidays")}</label>
        <textarea
          id={ids.holidays}
          rows={2}
          value={draft.holidays}
          aria-invalid={problemOf("holidays") ? true : undefined}
          onChange={(e) => setDraft({ ...draft, holidays: e.target.value })}
        />
        {problemOf("holidays") && <p className="form-error">{t("numbers.teamwork.badHolidays")}</p>}
        <label htmlFor={ids.away}>{t("numbers.teamwork.away")}</label>
        <textarea id={ids.away} rows={3} maxLength={4096} value={draft.awayMessage} onChange={(e) => setDraft({ ...draft, awayMessage: e.target.value })} />
        <label htmlFor={ids.team}>{t("numbers.teamwork.team")}</label>
        <select id={ids.team} value={draft.team} onChange={(e) => setDraft({ ...draft, team: e.target.value })}>
          <option value="">{t("numbers.teamwork.byHand")}</option>
          {served.map((team) => (
            <option key={team.id} value={team.id}>
              {team.name}
            </option>
          ))}
        </select>
        <label htmlFor={ids.capacity}>{t("numbers.teamwork.capacity")}</label>
        <input
          id={ids.capacity}
          inputMode="numeric"
          value={draft.capacity}
          aria-invalid={problemOf("capacity") ? true : undefined}
          onChange={(e) => setDraft({ ...draft, capacity: e.target.value })}
        />
        {problemOf("capacity") && <p className="form-error">{t("numbers.teamwork.badCapacity")}</p>}
        {canEdit && <button type="submit">{t("numbers.teamwork.save")}</button>}
      </fieldset>
      {saved && (
        <p className="numbers-done" role="status">
          {t("numbers.teamwork.saved")}
        </p>
      )}
      {save.error &&
        (details?.field ? (
          <p className="form-error" role="alert">
            {t("numbers.teamwork.refused", { field: details.field, reason: details.reason ?? "" })}
          </p>
        ) : (
          <ErrorNotice error={save.error} />
        ))}
    </form>
  );
}
