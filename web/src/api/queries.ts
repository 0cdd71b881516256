import { infiniteQueryOptions, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, unwrap, type AuditTrail, type ContactPage, type ConversationPage, type Me, type MessagePage } from "./client";
import type { ConversationStatus, InboxView } from "../teamwork/logic";

/** The query keys, in one place so the live stream invalidates exactly what a change touches. */
export const keys = {
  me: ["me"] as const,
  setup: ["setup"] as const,
  accounts: ["accounts"] as const,
  conversations: ["conversations"] as const,
  conversationList: (filter: ConversationFilter) => ["conversations", "list", filter] as const,
  conversation: (id: string) => ["conversations", "one", id] as const,
  messages: (id: string) => ["messages", id] as const,
  audit: (id: string) => ["audit", id] as const,
  auditAsOf: (id: string, asOf: string) => ["audit", id, "as-of", asOf] as const,
  users: ["users"] as const,
  limits: ["limits"] as const,
  contacts: ["contacts"] as const,
  contactList: (q: string) => ["contacts", "list", q] as const,
  contact: (id: string) => ["contacts", "one", id] as const,
};

export type ListFilter = "all" | "unread" | "favourites" | "archived" | "groups";

export interface ConversationFilter {
  account: string | null;
  filter: ListFilter;
  q: string;
  /** Whose: the caller's, nobody's, everybody's. */
  view: InboxView;
  /** Which status; `null`: any. */
  status: ConversationStatus | null;
  label: string | null;
  /** A team id. */
  team: string | null;
  /** The caller's user id, with the view "mine" only (so a changed conversation is placed without asking). */
  self?: string | undefined;
}

/** The list the inbox opens with: every open conversation. */
export const FIRST_FILTER: ConversationFilter = { account: null, filter: "all", q: "", view: "all", status: "open", label: null, team: null };

const PAGE = 100;

export function useConversations(filter: ConversationFilter, enabled: boolean) {
  return useInfiniteQuery({ ...conversationList(filter), enabled });
}

export function conversationList(filter: ConversationFilter) {
  return infiniteQueryOptions({
    queryKey: keys.conversationList(filter),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam, signal }): Promise<ConversationPage> =>
      unwrap(
        await api.GET("/api/v1/conversations", {
          signal,
          params: {
            query: {
              limit: PAGE,
              cursor: pageParam,
              account: filter.account ?? undefined,
              q: filter.q.trim() === "" ? undefined : filter.q.trim(),
              unread: filter.filter === "unread" ? true : undefined,
              favourite: filter.filter === "favourites" ? true : undefined,
              // Archived conversations are only in their own filter.
              archived: filter.filter === "archived",
              group: filter.filter === "groups" ? true : undefined,
              status: filter.status ?? undefined,
              assignee: filter.view === "mine" ? "me" : filter.view === "unassigned" ? "none" : undefined,
              label: filter.label ?? undefined,
              team: filter.team ?? undefined,
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useConversation(id: string) {
  return useQuery({
    queryKey: keys.conversation(id),
    queryFn: async ({ signal }) =>
      unwrap(await api.GET("/api/v1/conversations/{id}", { signal, params: { path: { id } } })),
  });
}

/** Pages from the newest back: page 0 is the newest messages, each next page older ones. */
export function useMessages(id: string, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: keys.messages(id),
    enabled,
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam, signal }): Promise<MessagePage> =>
      unwrap(
        await api.GET("/api/v1/conversations/{id}/messages", {
          signal,
          params: { path: { id }, query: { limit: 50, before: pageParam } },
        }),
      ),
    getNextPageParam: (last) => last.older_cursor ?? undefined,
  });
}

export function useAccounts(enabled: boolean) {
  return useQuery({
    queryKey: keys.accounts,
    enabled,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/accounts", { signal })),
    staleTime: 60_000,
  });
}

/** What WhatsApp accepts in a message, as the server enforces it: fixed for the server's lifetime. */
export function useLimits() {
  return useQuery({
    queryKey: keys.limits,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/limits", { signal })),
    staleTime: Infinity,
    gcTime: Infinity,
  });
}

/** What the caller may do where: install-wide, and per account. */
export function may(me: Me | undefined, permission: string, account?: string): boolean {
  if (!me) return false;
  if (me.authenticated_by === "operator") return true;
  if (account === undefined) {
    return me.permissions.includes(permission) || me.accounts.some((a) => a.permissions.includes(permission));
  }
  return me.accounts.some((a) => a.account_id === account && a.permissions.includes(permission));
}

/** Customers who wrote to a number the caller may see, searched by name, username or number, a page at a time. */
export function useContacts(q: string) {
  const text = q.trim();
  return useInfiniteQuery({
    queryKey: keys.contactList(text),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam, signal }): Promise<ContactPage> =>
      unwrap(
        await api.GET("/api/v1/contacts", {
          signal,
          params: { query: { limit: PAGE, cursor: pageParam, q: text === "" ? undefined : text } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** One customer with their conversations on every number. */
export function useContact(id: string) {
  return useQuery({
    queryKey: keys.contact(id),
    queryFn: async ({ signal }) =>
      unwrap(await api.GET("/api/v1/contacts/{id}", { signal, params: { path: { id } } })),
  });
}

/** A conversation's stored events in stream order, a page at a time. */
export function useAuditTrail(id: string) {
  return useInfiniteQuery({
    queryKey: keys.audit(id),
    initialPageParam: undefined as number | undefined,
    queryFn: async ({ pageParam, signal }): Promise<AuditTrail> =>
      unwrap(
        await api.GET("/api/v1/conversations/{id}/events", {
          signal,
          params: { path: { id }, query: { after_version: pageParam } },
        }),
      ),
    getNextPageParam: (last) => last.next_after_version ?? undefined,
  });
}

/** The conversation as it stood at `asOf`, rebuilt by the server from the events recorded until then. */
export function useAuditAsOf(id: string, asOf: string | null) {
  return useQuery({
    queryKey: keys.auditAsOf(id, asOf ?? ""),
    enabled: asOf !== null,
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/conversations/{id}/events", {
          signal,
          params: { path: { id }, query: { as_of: asOf ?? undefined, limit: 1 } },
        }),
      ),
    staleTime: Infinity,
  });
}

/** The install's users (for whoever manages them), to put names on what they did. */
export function useUsers(enabled: boolean) {
  return useQuery({
    queryKey: keys.users,
    enabled,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/users", { signal })),
    staleTime: 60_000,
  });
}
