import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import type { Conversation, ConversationPage } from "./client";
import type { ConversationFilter } from "./queries";

type ListData = InfiniteData<ConversationPage, string | undefined>;

/**
 * Where a conversation sorts in the inbox: most recent first, as the server orders it (`sort_at`, the
 * later of its creation and its last message, then the id, both descending).
 */
function sortAt(c: Conversation): number {
  const created = Date.parse(c.created_at);
  const last = c.last_message ? Date.parse(c.last_message.at) : created;
  return Math.max(created, last);
}

/** Whether `a` comes before `b` in the list. */
export function before(a: Conversation, b: Conversation): boolean {
  const x = sortAt(a);
  const y = sortAt(b);
  return x !== y ? x > y : a.id > b.id;
}

/** Whether a list with this filter shows the conversation; `null` for a search, which only the server
 * can answer. */
export function shows(filter: ConversationFilter, c: Conversation): boolean | null {
  if (filter.q.trim() !== "") return null;
  if (filter.account !== null && c.account_id !== filter.account) return false;
  if (c.archived !== (filter.filter === "archived")) return false;
  if (filter.status !== null && c.status !== filter.status) return false;
  if (filter.label !== null && !c.labels.includes(filter.label)) return false;
  if (filter.team != null && c.team_id !== filter.team) return false;
  if (filter.view === "unassigned" && c.assignee) return false;
  if (filter.view === "mine") {
    if (!filter.self) return null;
    if (c.assignee !== filter.self) return false;
  }
  switch (filter.filter) {
    case "unread":
      return c.unread_count > 0;
    case "favourites":
      return c.favourite;
    case "groups":
      return c.is_group;
    default:
      return true;
  }
}

/**
 * A loaded list with one conversation updated: taken out from where it was, and put back where it now
 * sorts if the list shows it. Past the loaded pages it is left for the page that will bring it.
 */
export function placeConversation(data: ListData, updated: Conversation | { id: string }, show: boolean): ListData {
  const pages = data.pages.map((page) => ({ ...page, conversations: page.conversations.filter((c) => c.id !== updated.id) }));
  if (show && "account_id" in updated) {
    const last = pages.length - 1;
    let placed = false;
    for (let p = 0; p <= last && !placed; p += 1) {
      const page = pages[p]!;
      const at = page.conversations.findIndex((c) => before(updated, c));
      if (at >= 0) {
        page.conversations.splice(at, 0, updated);
        placed = true;
      } else if (p === last && !page.next_cursor) {
        page.conversations.push(updated);
        placed = true;
      }
    }
  }
  return { ...data, pages };
}

/** Puts a conversation as it now stands (or gone: `{ id }`) into every loaded list. */
export function updateLists(client: QueryClient, updated: Conversation | { id: string }) {
  for (const query of client.getQueryCache().findAll({ queryKey: ["conversations", "list"] })) {
    const filter = query.queryKey[2] as ConversationFilter;
    const show = "account_id" in updated ? shows(filter, updated) : false;
    if (show === null) {
      void client.invalidateQueries({ queryKey: query.queryKey, exact: true });
      continue;
    }
    const data = query.state.data as ListData | undefined;
    if (data) client.setQueryData<ListData>(query.queryKey, placeConversation(data, updated, show));
  }
}
