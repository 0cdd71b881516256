import { useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { LiveConnection, type LiveChange, type LiveStatus } from "./resume";
import { keys } from "../api/queries";
import { api } from "../api/client";
import { updateLists } from "../api/conversationLists";

/** Past this many conversations changed at once, the lists are read again instead of patched. */
const PATCH_AT_MOST = 20;
/** Contacts are read again at most this often while messages keep arriving (only when on screen). */
const CONTACTS_EVERY_MS = 2_000;

/**
 * Keeps the query cache current from `/api/v1/stream`, so a new message shows within a second with no
 * polling. Changes arriving within 50 ms are applied together: each changed conversation is read once and
 * put in place in every loaded list (a list of thousands is not read again for one message), and the
 * messages of those with message changes are read again, as are their audit trails and the contacts when
 * they are on screen (TanStack Query refetches only queries in use; the others are marked stale).
 * `onChange` also sees every change (notifications).
 */
export function useLiveUpdates(enabled: boolean, onChange?: (change: LiveChange) => void): LiveStatus {
  const client = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const listener = useRef(onChange);
  listener.current = onChange;

  useEffect(() => {
    if (!enabled) return;
    let conversations = new Set<string>();
    let messages = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | null = null;
    let contactsTimer: ReturnType<typeof setTimeout> | null = null;
    const contactsChanged = () => {
      contactsTimer ??= setTimeout(() => {
        contactsTimer = null;
        void client.invalidateQueries({ queryKey: keys.contacts });
      }, CONTACTS_EVERY_MS);
    };
    const flush = () => {
      timer = null;
      const touched = conversations;
      const withMessages = messages;
      conversations = new Set();
      messages = new Set();
      for (const id of withMessages) void client.invalidateQueries({ queryKey: keys.messages(id) });
      if (withMessages.size > 0) contactsChanged();
      for (const id of touched) void client.invalidateQueries({ queryKey: keys.audit(id), exact: true });
      if (touched.size > PATCH_AT_MOST) {
        void client.invalidateQueries({ queryKey: keys.conversations });
        return;
      }
      for (const id of touched) {
        void (async () => {
          const answer = await api.GET("/api/v1/conversations/{id}", { params: { path: { id } } });
          if (answer.data) {
            client.setQueryData(keys.conversation(id), answer.data);
            updateLists(client, answer.data);
          } else if (answer.response.status === 404) {
            updateLists(client, { id });
          }
        })().catch(() => void client.invalidateQueries({ queryKey: keys.conversations }));
      }
    };
    const connection = new LiveConnection({
      url: "/api/v1/stream",
      open: (url) => new EventSource(url),
      onStatus: setStatus,
      onChange: (change) => {
        conversations.add(change.conversation_id);
        if (change.kind === "message") messages.add(change.conversation_id);
        timer ??= setTimeout(flush, 50);
        listener.current?.(change);
      },
      onOpen: (resumed) => {
        // Without a resume point the stream starts from now: what changed before it opened is read again.
        if (!resumed) {
          void client.invalidateQueries({ queryKey: keys.conversations });
          void client.invalidateQueries({ queryKey: ["messages"] });
          void client.invalidateQueries({ queryKey: keys.contacts });
          void client.invalidateQueries({ queryKey: ["audit"] });
        }
      },
      onClosed: () => void client.invalidateQueries({ queryKey: keys.me }),
    });
    connection.start();
    return () => {
      connection.stop();
      if (timer !== null) clearTimeout(timer);
      if (contactsTimer !== null) clearTimeout(contactsTimer);
    };
  }, [client, enabled]);

  return status;
}
