import { lazy, Suspense, useState } from "react";
import type { Me } from "../api/client";
import { FIRST_FILTER, may, useConversations, type ConversationFilter } from "../api/queries";
import { useI18n } from "../i18n/i18n";
import { useLiveUpdates } from "../live/useLiveUpdates";
import { useNotifications } from "../live/useNotifications";
import { ConversationScreen } from "../conversation/ConversationScreen";
import { AccountPicker } from "./AccountPicker";
import { NewConversation } from "./NewConversation";
import { ConversationFilters } from "./ConversationFilters";
import { ConversationList } from "./ConversationList";
import { TopBar } from "./TopBar";
import { messageFromQuery, navigate, useOpenConversation, useQueryString, useRoute } from "./route";
import { InboxViews } from "../teamwork/InboxViews";
import { nextConversation, teamFilterFromQuery, teamFilterQuery, type TeamFilter } from "../teamwork/logic";
import { TeamNotices, useTeamNotices } from "../teamwork/TeamNotices";
import { MessageMatches } from "../search/MessageMatches";
import { ContactsScreen } from "../contacts/ContactsScreen";

// Screens an agent seldom opens load when first opened, keeping the first screen's JavaScript small.
const NumbersScreen = lazy(() => import("../numbers/NumbersScreen").then((m) => ({ default: m.NumbersScreen })));
const ReportsScreen = lazy(() => import("../reports/ReportsScreen").then((m) => ({ default: m.ReportsScreen })));
const ListingsScreen = lazy(() => import("../listings/ListingsScreen").then((m) => ({ default: m.ListingsScreen })));
const SearchScreen = lazy(() => import("../search/SearchScreen").then((m) => ({ default: m.SearchScreen })));
const SettingsScreen = lazy(() => import("../settings/SettingsScreen").then((m) => ({ default: m.SettingsScreen })));

/** The signed-in app: numbers and conversations on the left, the open conversation on the right. */
export function InboxScreen({ me }: { me: Me }) {
  const { t } = useI18n();
  const route = useRoute();
  const [openId, open] = useOpenConversation();
  const canSeeContacts = may(me, "contacts.view");
  const [listFilter, setFilter] = useState<ConversationFilter>(FIRST_FILTER);
  const canView = may(me, "conversations.view");
  const canSearch = may(me, "messages.view");
  const query = useQueryString();
  const target = messageFromQuery(query);
  // The team views (whose, status, label) are in the address, so a reload or a link keeps them.
  const team = teamFilterFromQuery(query);
  const filter: ConversationFilter = {
    ...listFilter,
    ...team,
    self: team.view === "mine" ? (me.user?.id ?? undefined) : undefined,
  };
  const setTeam = (next: TeamFilter) => navigate(window.location.pathname + teamFilterQuery(next));
  // Computed before a resolve takes the open conversation out of the list.
  const rows = useConversations(filter, canView).data?.pages.flatMap((p) => p.conversations) ?? [];
  const nextId = openId ? nextConversation(rows, openId) : null;
  const notifications = useNotifications();
  const notices = useTeamNotices(me, notifications);
  const live = useLiveUpdates(canView, (change) => {
    notifications.notify(change);
    notices.onChange(change);
  });

  return (
    <div className={openId || (route.view === "contacts" && route.contact) ? "inbox has-open" : "inbox"}>
      <TopBar me={me} live={live} notifications={notifications} route={route} />
      <TeamNotices notices={notices.list} onDismiss={notices.dismiss} onOpen={(id) => open(id)} />
      {route.view === "numbers" || route.view === "settings" || route.view === "listings" || route.view === "search" || route.view === "reports" ? (
        <Suspense fallback={<p className="loading" role="status">{t("loading")}</p>}>
          {route.view === "numbers" ? (
            <NumbersScreen me={me} account={route.account} bot={route.bot} />
          ) : route.view === "listings" ? (
            <ListingsScreen me={me} />
          ) : route.view === "search" ? (
            <SearchScreen me={me} />
          ) : route.view === "reports" ? (
            <ReportsScreen me={me} />
          ) : (
            <SettingsScreen me={me} section={route.section} />
          )}
        </Suspense>
      ) : route.view === "contacts" && canSeeContacts ? (
        <ContactsScreen me={me} contactId={route.contact} />
      ) : (
      <main className="inbox-body">
      <aside className="sidebar" aria-label={t("inbox.conversations")}>
        {canView ? (
          <>
            <NewConversation me={me} onOpen={open} />
            <AccountPicker me={me} value={filter.account} onChange={(account) => setFilter({ ...filter, account })} />
            <ConversationFilters value={filter} onChange={setFilter} messages={canSearch} />
            <InboxViews account={filter.account} value={team} onChange={setTeam} />
            <ConversationList filter={filter} openId={openId} onOpen={open} />
            {canSearch && filter.q.trim() !== "" && <MessageMatches q={filter.q} account={filter.account} />}
          </>
        ) : (
          <p className="empty">{t("inbox.noAccess")}</p>
        )}
      </aside>
      <div className="conversation-pane">
        {openId ? (
          <ConversationScreen
            key={openId}
            id={openId}
            me={me}
            onBack={() => open(null)}
            audit={route.view === "inbox" && route.audit}
            target={target}
            onNext={() => open(nextId)}
          />
        ) : (
          <p className="empty">{t("inbox.pick")}</p>
        )}
      </div>
      </main>
      )}
    </div>
  );
}
