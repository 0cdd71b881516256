import { useId, useState } from "react";
import type { AuditEvent, Me } from "../api/client";
import { useAuditAsOf, useAuditTrail } from "../api/queries";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n, type Translate } from "../i18n/i18n";
import { kindLabel } from "../inbox/preview";
import { conversationPath, followLink } from "../inbox/route";
import { causeOf, eventAt, shortHash } from "./audit";

/** A conversation's stored events (who, when, what, hash) and, at a moment picked on a time line or from
 * an event, the conversation as it stood then. */
export function AuditScreen({ id, me, name }: { id: string; me: Me; name: string }) {
  const { t, locale } = useI18n();
  const trail = useAuditTrail(id);
  // Each page names the users who caused its events; a user since deleted keeps their id.
  const nameOf = (user: string) =>
    trail.data?.pages.flatMap((page) => page.people).find((p) => p.user_id === user)?.name ?? user;
  const [asOf, setAsOf] = useState<string | null>(null);
  const sliderId = useId();
  const when = (iso: string) =>
    new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium" }).format(new Date(iso));
  const back = conversationPath(id);
  const header = (
    <header className="conversation-header">
      <a href={back} onClick={(e) => followLink(e, back)}>
        {t("audit.back")}
      </a>
      <h2>{t("audit.title", { name })}</h2>
    </header>
  );
  if (trail.isError) {
    return (
      <section className="audit">
        {header}
        <ErrorNotice error={trail.error} onRetry={() => void trail.refetch()} />
      </section>
    );
  }
  if (trail.data === undefined) {
    return (
      <section className="audit">
        {header}
        <p className="loading" role="status">
          {t("loading")}
        </p>
      </section>
    );
  }
  const events = trail.data.pages.flatMap((p) => p.events);
  const picked = asOf === null ? -1 : eventAt(events, asOf);
  return (
    <section className="audit">
      {header}
      <div className="audit-body">
        <table className="audit-events">
          <caption>{t("audit.events")}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t("audit.when")}</th>
              <th scope="col">{t("audit.who")}</th>
              <th scope="col">{t("audit.what")}</th>
              <th scope="col">{t("audit.hash")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("audit.asOf")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {events.map((e, i) => (
              <tr key={e.event_id} aria-current={i === picked ? "true" : undefined}>
                <td>{e.stream_version}</td>
                <td>
                  <time dateTime={e.recorded_at}>{when(e.recorded_at)}</time>
                </td>
                <td>{who(e, me, t, nameOf)}</td>
                <td>{e.event_type}</td>
                <td>
                  <code title={e.hash}>{shortHash(e.hash)}</code>
                </td>
                <td>
                  <button type="button" onClick={() => setAsOf(e.recorded_at)}>
                    {t("audit.seeAt", { version: e.stream_version })}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {trail.hasNextPage && (
          <button type="button" className="load-more" disabled={trail.isFetchingNextPage} onClick={() => void trail.fetchNextPage()}>
            {t("audit.more")}
          </button>
        )}
        {events.length > 0 && (
          <div className="audit-timeline">
            <label htmlFor={sliderId}>{t("audit.timeline")}</label>
            <input
              id={sliderId}
              type="range"
              min={0}
              max={events.length - 1}
              step={1}
              value={picked < 0 ? events.length - 1 : picked}
              aria-valuetext={
                picked < 0 ? undefined : when(events[picked]?.recorded_at ?? events[0]?.recorded_at ?? "")
              }
              onChange={(e) => setAsOf(events[Number(e.target.value)]?.recorded_at ?? null)}
            />
          </div>
        )}
        {asOf !== null && <AsOf id={id} asOf={asOf} when={when(asOf)} />}
      </div>
    </section>
  );
}

function who(event: AuditEvent, me: Me, t: Translate, nameOf: (user: string) => string): string {
  const cause = causeOf(event.metadata);
  switch (cause.kind) {
    case "user":
      return cause.user === me.user?.id ? t("audit.by.you") : t("audit.by.user", { user: nameOf(cause.user) });
    case "webhook":
      return t("audit.by.webhook");
    case "bot":
      return t("audit.by.bot");
    case "system":
      return cause.reason ? t("audit.by.systemFor", { reason: cause.reason }) : t("audit.by.system");
    case "unknown":
      return t("audit.by.unknown");
  }
}

/** The conversation and its messages as they stood at `asOf`. */
function AsOf({ id, asOf, when }: { id: string; asOf: string; when: string }) {
  const { t } = useI18n();
  const state = useAuditAsOf(id, asOf);
  const headingId = useId();
  return (
    <section className="audit-state" aria-labelledby={headingId}>
      <h3 id={headingId}>{t("audit.stateAt", { when })}</h3>
      {state.isError ? (
        <ErrorNotice error={state.error} onRetry={() => void state.refetch()} />
      ) : state.data === undefined ? (
        <p className="loading" role="status">
          {t("loading")}
        </p>
      ) : !state.data.state ? (
        <p className="empty">{t("audit.noState")}</p>
      ) : (
        <>
          <p>
            {t("audit.stateFacts", {
              count: state.data.state.conversation.message_count,
              unread: state.data.state.conversation.unread_count,
            })}
          </p>
          <ol className="audit-messages" aria-label={t("audit.messagesThen")}>
            {state.data.state.messages.map((m) => (
              <li key={m.id}>
                <span className="muted">{m.direction === "inbound" ? t("audit.customer") : t("audit.business")}: </span>
                {m.body ?? kindLabel(m.kind ?? "", t)}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
