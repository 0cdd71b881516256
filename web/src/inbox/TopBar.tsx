import type { Me } from "../api/client";
import { useSignOut } from "../auth/session";
import { useI18n } from "../i18n/i18n";
import type { LiveStatus } from "../live/resume";
import type { Notifications } from "../live/useNotifications";
import { PreferencesMenu } from "./PreferencesMenu";
import { AvailabilitySwitch } from "../teamwork/AvailabilitySwitch";
import { may } from "../api/queries";
import { contactsPath, followLink, listingsPath, numbersPath, reportsPath, searchPath, settingsPath, type Route } from "./route";

export function TopBar({
  me,
  live,
  notifications,
  route,
}: {
  me: Me;
  live: LiveStatus;
  notifications: Notifications;
  route: Route;
}) {
  const { t } = useI18n();
  const signOut = useSignOut();
  const who = me.user?.name ?? me.user?.email ?? me.authenticated_by;
  return (
    <header className="top-bar">
      <h1 className="app-name">{t("appName")}</h1>
      <LiveIndicator status={live} />
      <nav className="top-nav" aria-label={t("contacts.nav")}>
        <NavLink path="/" current={route.view === "inbox"} label={t("contacts.inbox")} />
        {may(me, "contacts.view") && (
          <NavLink path={contactsPath()} current={route.view === "contacts"} label={t("contacts.open")} />
        )}
        {may(me, "messages.view") && (
          <NavLink path={searchPath()} current={route.view === "search"} label={t("search.open")} />
        )}
        {may(me, "messages.view") && (
          <NavLink path={listingsPath()} current={route.view === "listings"} label={t("listings.open")} />
        )}
        {may(me, "analytics.view") && (
          <NavLink path={reportsPath()} current={route.view === "reports"} label={t("reports.open")} />
        )}
        {may(me, "accounts.view") && (
          <NavLink path={numbersPath()} current={route.view === "numbers"} label={t("numbers.open")} />
        )}
        <NavLink path={settingsPath()} current={route.view === "settings"} label={t("settings.open")} />
      </nav>
      <div className="top-bar-end">
        {may(me, "conversations.view") && <AvailabilitySwitch me={me} />}
        <PreferencesMenu me={me} notifications={notifications} />
        <span className="who" title={t("auth.signedInAs", { who })}>
          {who}
        </span>
        <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
          {t("auth.signOut")}
        </button>
      </div>
    </header>
  );
}

function NavLink({ path, current, label }: { path: string; current: boolean; label: string }) {
  return (
    <a href={path} aria-current={current ? "page" : undefined} onClick={(e) => followLink(e, path)}>
      {label}
    </a>
  );
}

/** Says whether changes arrive live; "reconnecting" while the stream is being reopened. */
function LiveIndicator({ status }: { status: LiveStatus }) {
  const { t } = useI18n();
  return (
    <p className={`live live-${status}`} role="status">
      <span className="live-dot" aria-hidden="true" />
      {t(`live.${status}`)}
    </p>
  );
}
