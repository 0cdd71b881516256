import { useId, useState, type FormEvent } from "react";
import type { Me } from "../api/client";
import { may } from "../api/queries";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";
import { useVisibleNumbers } from "../inbox/AccountPicker";
import { HeatMap } from "./HeatMap";
import { csvPath, defaultFilter, duration, lastDays, percent, rangeProblem, type ReportFilter } from "./logic";
import { useAgentsReport, useBreakdown, useNames, useSummary, useVolume, type ReportFigures } from "./queries";
import { VolumeChart } from "./VolumeChart";
import "./reports.css";

/**
 * What the team did over a range: volumes, first response and resolution times (optionally in business
 * hours), the bot against people, and the same per agent, number and label; each downloadable as CSV.
 * Only for those with `analytics.view`, and only about the numbers they may read.
 */
export function ReportsScreen({ me }: { me: Me }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<ReportFilter>(() => defaultFilter());
  const [filter, setFilter] = useState<ReportFilter>(draft);
  const [problem, setProblem] = useState<MessageKey | null>(null);
  if (!may(me, "analytics.view")) {
    return (
      <main className="reports">
        <h2>{t("reports.title")}</h2>
        <p className="empty">{t("reports.none")}</p>
      </main>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const wrong = rangeProblem(draft);
    setProblem(wrong);
    if (wrong === null) setFilter(draft);
  };
  const preset = (days: number) => {
    const next = { ...draft, ...lastDays(days) };
    setDraft(next);
    setProblem(null);
    setFilter(next);
  };
  return (
    <main className="reports">
      <h2>{t("reports.title")}</h2>
      <ReportFilters me={me} draft={draft} onChange={setDraft} onSubmit={submit} onPreset={preset} problem={problem} />
      <Reports me={me} filter={filter} />
    </main>
  );
}

function ReportFilters({
  me,
  draft,
  onChange,
  onSubmit,
  onPreset,
  problem,
}: {
  me: Me;
  draft: ReportFilter;
  onChange: (next: ReportFilter) => void;
  onSubmit: (e: FormEvent) => void;
  onPreset: (days: number) => void;
  problem: MessageKey | null;
}) {
  const { t } = useI18n();
  const numbers = useVisibleNumbers(me);
  const names = useNames(may(me, "conversations.view"));
  const ids = { from: useId(), to: useId(), zone: useId(), number: useId(), label: useId(), hours: useId() };
  return (
    <form className="report-filters" onSubmit={onSubmit}>
      <div className="report-presets" role="group" aria-label={t("reports.title")}>
        <button type="button" onClick={() => onPreset(7)}>
          {t("reports.last7")}
        </button>
        <button type="button" onClick={() => onPreset(30)}>
          {t("reports.last30")}
        </button>
        <button type="button" onClick={() => onPreset(90)}>
          {t("reports.last90")}
        </button>
      </div>
      <label htmlFor={ids.from}>{t("reports.from")}</label>
      <input id={ids.from} type="date" value={draft.from} onChange={(e) => onChange({ ...draft, from: e.target.value })} />
      <label htmlFor={ids.to}>{t("reports.to")}</label>
      <input id={ids.to} type="date" value={draft.to} onChange={(e) => onChange({ ...draft, to: e.target.value })} />
      <label htmlFor={ids.zone}>{t("reports.zone")}</label>
      <input id={ids.zone} value={draft.tz} maxLength={64} onChange={(e) => onChange({ ...draft, tz: e.target.value })} />
      <label htmlFor={ids.number}>{t("reports.number")}</label>
      <select id={ids.number} value={draft.account} onChange={(e) => onChange({ ...draft, account: e.target.value })}>
        <option value="">{t("reports.anyNumber")}</option>
        {numbers.map((n) => (
          <option key={n.id} value={n.id}>
            {n.label}
          </option>
        ))}
      </select>
      <label htmlFor={ids.label}>{t("reports.label")}</label>
      <select id={ids.label} value={draft.label} onChange={(e) => onChange({ ...draft, label: e.target.value })}>
        <option value="">{t("reports.anyLabel")}</option>
        {names.labels.map((l) => (
          <option key={l.id} value={l.id}>
            {l.name}
          </option>
        ))}
      </select>
      <label className="report-hours" htmlFor={ids.hours}>
        <input id={ids.hours} type="checkbox" checked={draft.businessHours} onChange={(e) => onChange({ ...draft, businessHours: e.target.checked })} />
        {t("reports.businessHours")}
      </label>
      <button type="submit">{t("reports.apply")}</button>
      {problem && (
        <p role="alert" className="form-error">
          {t(problem)}
        </p>
      )}
    </form>
  );
}

function Reports({ me, filter }: { me: Me; filter: ReportFilter }) {
  const { t } = useI18n();
  const summary = useSummary(filter);
  const volume = useVolume(filter);
  const agents = useAgentsReport(filter);
  const byNumber = useBreakdown("accounts", filter);
  const byLabel = useBreakdown("labels", filter);
  const names = useNames(may(me, "conversations.view"));
  const numbers = useVisibleNumbers(me);
  const numberName = (id: string) => numbers.find((n) => n.id === id)?.label ?? id;
  const error = summary.error ?? volume.error ?? agents.error ?? byNumber.error ?? byLabel.error;
  if (error) return <ErrorNotice error={error} />;
  if (!summary.data) return <p className="empty">{t("reports.loading")}</p>;
  return (
    <>
      <section aria-labelledby="report-summary">
        <SectionHead id="report-summary" title={t("reports.summary")} csv={csvPath("summary", filter)} />
        <FigureTiles figures={summary.data.figures} />
      </section>
      <section aria-labelledby="report-volume">
        <SectionHead id="report-volume" title={t("reports.volume")} csv={csvPath("volume", filter)} />
        {volume.data ? <VolumeChart days={volume.data.per_day} /> : <p className="empty">{t("reports.loading")}</p>}
      </section>
      <section aria-labelledby="report-heat">
        <SectionHead id="report-heat" title={t("reports.heatMap")} />
        {volume.data && <HeatMap cells={volume.data.heat_map} zone={volume.data.range.tz} />}
      </section>
      <section aria-labelledby="report-agents">
        <SectionHead id="report-agents" title={t("reports.agents")} csv={csvPath("agents", filter)} />
        {agents.data && agents.data.agents.length > 0 ? (
          <table className="report-table">
            <thead>
              <tr>
                <th scope="col">{t("reports.agent")}</th>
                <th scope="col">{t("reports.handled")}</th>
                <th scope="col">{t("reports.messages")}</th>
                <th scope="col">{t("reports.firstResponse")}</th>
                <th scope="col">{t("reports.responseMedian")}</th>
              </tr>
            </thead>
            <tbody>
              {agents.data.agents.map((a) => (
                <tr key={a.agent}>
                  <th scope="row">{names.agentName(a.agent)}</th>
                  <td>{a.conversations}</td>
                  <td>{a.messages}</td>
                  <td>{duration(a.first_response_median_secs)}</td>
                  <td>{duration(a.response_median_secs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="empty">{t("reports.nothing")}</p>
        )}
      </section>
      <Breakdown id="report-numbers" title={t("reports.byNumber")} csv={csvPath("accounts", filter)} groups={byNumber.data?.groups} name={numberName} />
      <Breakdown id="report-labels" title={t("reports.byLabel")} csv={csvPath("labels", filter)} groups={byLabel.data?.groups} name={names.labelName} />
    </>
  );
}

function SectionHead({ id, title, csv }: { id: string; title: string; csv?: string }) {
  const { t } = useI18n();
  return (
    <div className="report-head">
      <h3 id={id}>{title}</h3>
      {csv && (
        <a href={csv} download>
          {t("reports.csv")}
        </a>
      )}
    </div>
  );
}

/** The overview's figures, one tile each. */
function FigureTiles({ figures: f }: { figures: ReportFigures }) {
  const { t } = useI18n();
  const times = (median: number | null | undefined, p90: number | null | undefined) =>
    t("reports.medianP90", { median: duration(median), p90: duration(p90) });
  return (
    <dl className="report-tiles">
      <Tile term={t("reports.inbound")} value={String(f.inbound)} />
      <Tile
        term={t("reports.outbound")}
        value={String(f.outbound)}
        detail={t("reports.outboundSplit", { agents: f.outbound_agents, bot: f.outbound_bot, app: f.outbound_app, inbox: f.outbound_inbox })}
      />
      <Tile term={t("reports.conversations")} value={String(f.conversations)} />
      <Tile
        term={t("reports.firstResponse")}
        value={duration(f.first_response_median_secs)}
        detail={`${times(f.first_response_median_secs, f.first_response_p90_secs)} · ${t("reports.counted", { n: f.first_responses })}`}
      />
      <Tile
        term={t("reports.resolution")}
        value={duration(f.resolution_median_secs)}
        detail={`${times(f.resolution_median_secs, f.resolution_p90_secs)} · ${t("reports.counted", { n: f.resolutions })}`}
      />
      <Tile term={t("reports.botReplies")} value={String(f.bot_replies)} />
      <Tile term={t("reports.escalations")} value={String(f.bot_escalations)} />
      <Tile
        term={t("reports.closedByBot")}
        value={String(f.resolved_by_bot)}
        detail={t("reports.closedByBotOf", { share: percent(f.resolved_by_bot_share), n: f.resolutions })}
      />
    </dl>
  );
}

function Tile({ term, value, detail }: { term: string; value: string; detail?: string }) {
  return (
    <div className="report-tile">
      <dt>{term}</dt>
      <dd>
        <span className="report-value">{value}</span>
        {detail && <span className="report-detail">{detail}</span>}
      </dd>
    </div>
  );
}

function Breakdown({
  id,
  title,
  csv,
  groups,
  name,
}: {
  id: string;
  title: string;
  csv: string;
  groups: { key: string; figures: ReportFigures }[] | undefined;
  name: (key: string) => string;
}) {
  const { t } = useI18n();
  return (
    <section aria-labelledby={id}>
      <SectionHead id={id} title={title} csv={csv} />
      {groups && groups.length > 0 ? (
        <table className="report-table">
          <thead>
            <tr>
              <th scope="col">{title}</th>
              <th scope="col">{t("reports.inbound")}</th>
              <th scope="col">{t("reports.outbound")}</th>
              <th scope="col">{t("reports.firstResponse")}</th>
              <th scope="col">{t("reports.resolution")}</th>
              <th scope="col">{t("reports.closedByBot")}</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={g.key}>
                <th scope="row">{name(g.key)}</th>
                <td>{g.figures.inbound}</td>
                <td>{g.figures.outbound}</td>
                <td>{duration(g.figures.first_response_median_secs)}</td>
                <td>{duration(g.figures.resolution_median_secs)}</td>
                <td>{percent(g.figures.resolved_by_bot_share)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="empty">{t("reports.nothing")}</p>
      )}
    </section>
  );
}
