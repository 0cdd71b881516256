import type { Me } from "../api/client";
import { useSignOut } from "../auth/session";
import { useI18n } from "../i18n/i18n";
import type { LiveStatus } from "../live/resume";
import type { Notifications } from "../live/useNotifications";
import { Preferences } from "../prefs/Preferences";
import { contactsPath, followLink, type Route } from "./route";

export function TopBar({
  me,
  live,
  notifications,
  route,
  canSeeContacts,
}: {
  me: Me;
  live: LiveStatus;
  notifications: Notifications;
  route: Route;
  canSeeContacts: boolean;
}) {
  const { t } = useI18n();
  const signOut = useSignOut();
  const who = me.user?.name ?? me.user?.email ?? me.authenticated_by;
  return (
    <header className="top-bar">
      <h1 className="app-name">{t("appName")}</h1>
      <LiveIndicator status={live} />
      {canSeeContacts && (
        <nav className="top-nav" aria-label={t("contacts.nav")}>
          <a href="/" aria-current={route.view === "inbox" ? "page" : undefined} onClick={(e) => followLink(e, "/")}>
            {t("contacts.inbox")}
          </a>
          <a
            href={contactsPath()}
            aria-current={route.view === "contacts" ? "page" : undefined}
            onClick={(e) => followLink(e, contactsPath())}
          >
            {t("contacts.open")}
          </a>
        </nav>
      )}
      <div className="top-bar-end">
        <Preferences />
        {notifications.supported && (
          <label className="notify-toggle">
            <input
              type="checkbox"
              checked={notifications.enabled}
              disabled={notifications.denied}
              onChange={(e) => void notifications.setEnabled(e.target.checked)}
            />
            {notifications.denied ? t("prefs.notifications.denied") : t("prefs.notifications")}
          </label>
        )}
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
