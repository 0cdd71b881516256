import { useCallback, useSyncExternalStore } from "react";

/** The open conversation lives in the address (`/conversations/{id}`), so a reload or a link keeps it. */
const PREFIX = "/conversations/";

function subscribe(listener: () => void) {
  window.addEventListener("popstate", listener);
  return () => window.removeEventListener("popstate", listener);
}

export function conversationFromPath(path: string): string | null {
  if (!path.startsWith(PREFIX)) return null;
  const id = decodeURIComponent(path.slice(PREFIX.length).split("/")[0] ?? "");
  return id === "" ? null : id;
}

export function conversationPath(id: string): string {
  return PREFIX + encodeURIComponent(id);
}

export function useOpenConversation(): [string | null, (id: string | null) => void] {
  const path = useSyncExternalStore(subscribe, () => window.location.pathname);
  const open = useCallback((id: string | null) => {
    const next = id === null ? "/" : conversationPath(id);
    if (next !== window.location.pathname) {
      window.history.pushState(null, "", next);
      window.dispatchEvent(new PopStateEvent("popstate"));
    }
  }, []);
  return [conversationFromPath(path), open];
}
