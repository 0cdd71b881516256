import { useCallback, useSyncExternalStore } from "react";
import { teamFilterFromQuery, teamFilterQuery } from "../teamwork/logic";

/**
 * Where the user is lives in the address, so a reload or a link keeps it: the inbox (`/`), one
 * conversation (`/conversations/{id}`), its audit trail (`/conversations/{id}/audit`), the contacts
 * (`/contacts`) or one contact (`/contacts/{id}`), the WhatsApp numbers (`/numbers`) or one of them
 * (`/numbers/{id}`) and its bot (`/numbers/{id}/bot`), the watch listings (`/listings`), the reports (`/reports`), and the settings (`/settings`, one section at
 * `/settings/{section}`).
 */
const CONVERSATIONS = "/conversations/";
const CONTACTS = "/contacts";
const NUMBERS = "/numbers";
const SETTINGS = "/settings";
const LISTINGS = "/listings";
const SEARCH = "/search";
const REPORTS = "/reports";

export type Route =
  | { view: "inbox"; conversation: string | null; audit: boolean }
  | { view: "contacts"; contact: string | null }
  | { view: "numbers"; account: string | null; bot: boolean }
  | { view: "settings"; section: string | null }
  | { view: "listings" }
  | { view: "search" }
  | { view: "reports" };

function subscribe(listener: () => void) {
  window.addEventListener("popstate", listener);
  return () => window.removeEventListener("popstate", listener);
}

/** The id in the path segment after `prefix`, or null when there is none. */
function idAfter(path: string, prefix: string): string | null {
  const segment = path.slice(prefix.length).split("/")[0] ?? "";
  if (segment === "") return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Whether `path` is `section` itself or below it. */
function under(path: string, section: string): boolean {
  return path === section || path.startsWith(section + "/");
}

export function routeFromPath(path: string): Route {
  if (under(path, CONTACTS)) return { view: "contacts", contact: idAfter(path, CONTACTS + "/") };
  if (under(path, NUMBERS)) {
    const account = idAfter(path, NUMBERS + "/");
    const bot = account !== null && path.slice(NUMBERS.length + 1).split("/")[1] === "bot";
    return { view: "numbers", account, bot };
  }
  if (under(path, LISTINGS)) return { view: "listings" };
  if (under(path, SEARCH)) return { view: "search" };
  if (under(path, REPORTS)) return { view: "reports" };
  if (under(path, SETTINGS)) return { view: "settings", section: idAfter(path, SETTINGS + "/") };
  const conversation = conversationFromPath(path);
  const audit = conversation !== null && path.slice(CONVERSATIONS.length).split("/")[1] === "audit";
  return { view: "inbox", conversation, audit };
}

export function conversationFromPath(path: string): string | null {
  if (!path.startsWith(CONVERSATIONS)) return null;
  return idAfter(path, CONVERSATIONS);
}

export function conversationPath(id: string): string {
  return CONVERSATIONS + encodeURIComponent(id);
}

export function auditPath(id: string): string {
  return `${conversationPath(id)}/audit`;
}

export function contactsPath(id?: string | null): string {
  return id ? `${CONTACTS}/${encodeURIComponent(id)}` : CONTACTS;
}

export function numbersPath(account?: string | null): string {
  return account ? `${NUMBERS}/${encodeURIComponent(account)}` : NUMBERS;
}

/** A number's bot page. */
export function botPath(account: string): string {
  return `${numbersPath(account)}/bot`;
}

export function settingsPath(section?: string | null): string {
  return section ? `${SETTINGS}/${encodeURIComponent(section)}` : SETTINGS;
}

/** The team's reports. */
export function reportsPath(): string {
  return REPORTS;
}

export function listingsPath(): string {
  return LISTINGS;
}

/** The search page, with its state as a query string (`q=…&mode=…`, empty for a blank page). */
export function searchPath(query = ""): string {
  return query === "" ? SEARCH : `${SEARCH}?${query}`;
}

/** A conversation opened scrolled to one of its messages, which shows highlighted. */
export function messagePath(conversation: string, message: string): string {
  return `${conversationPath(conversation)}?${new URLSearchParams({ message }).toString()}`;
}

/** The message a conversation's address asks to show (`?message=`), or null. */
export function messageFromQuery(query: string): string | null {
  const message = new URLSearchParams(query).get("message");
  return message === null || message === "" ? null : message;
}

/** Goes to `path` (with its query string, if any) inside the app, as a link would, without reloading. */
export function navigate(path: string) {
  if (path !== window.location.pathname + window.location.search) {
    window.history.pushState(null, "", path);
    window.dispatchEvent(new PopStateEvent("popstate"));
  }
}

export function useRoute(): Route {
  const path = useSyncExternalStore(subscribe, () => window.location.pathname);
  return routeFromPath(path);
}

/** The address's query string (`?…`, or "" when there is none), kept current as the user moves. */
export function useQueryString(): string {
  return useSyncExternalStore(subscribe, () => window.location.search);
}

export function useOpenConversation(): [string | null, (id: string | null) => void] {
  const route = useRoute();
  // The inbox's team filters stay in the address as the agent moves between conversations.
  const open = useCallback((id: string | null) => {
    const keep = teamFilterQuery(teamFilterFromQuery(window.location.search));
    navigate((id === null ? "/" : conversationPath(id)) + keep);
  }, []);
  return [route.view === "inbox" ? route.conversation : null, open];
}

/** A plain click on an in-app link navigates in place; with a modifier key the browser opens a tab. */
export function followLink(event: { ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; button: number; preventDefault(): void }, path: string) {
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(path);
}
