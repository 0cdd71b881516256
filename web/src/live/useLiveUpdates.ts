import { useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { LiveConnection, type LiveChange, type LiveStatus } from "./resume";
import { keys } from "../api/queries";
import { api } from "../api/client";
import { updateLists } from "../api/conversationLists";
import { listingKeys } from "../listings/queries";
import { botKeys } from "../bot/queries";

/** Past this many conversations changed at once, the lists are read again instead of patched. */
const PATCH_AT_MOST = 20;
/** Contacts are read again at most this often while messages keep arriving (only when on screen). */
const CONTACTS_EVERY_MS = 2_000;
/**
 * The stream follows the inbox's projection; the listings' own projection may record a reading a moment
 * later, so listings are read again at once and once more after this long.
 */
const LISTINGS_AGAIN_MS = 1_500;
/** The bot's view too follows the log on its own: a conversation's bot state is read at once and once more after this long. */
const BOT_AGAIN_MS = 1_000;

/**
 * Keeps the query cache current from `/api/v1/stream`, so a new message shows within a second with no
 * polling. Changes arriving within 50 ms are applied together: each changed conversation is read once and
 * put in place in every loaded list (a list of thousands is not read again for one message), and the
 * messages of those with message changes are read again, as are their audit trails and the contacts when
 * they are on screen, and the watch listings of conversations whose messages were read for watches
 * and the bot state of every changed conversation, at once and again a moment later (TanStack Query
 * refetches only queries in use; the others are marked stale).
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
    let listed = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | null = null;
    let contactsTimer: ReturnType<typeof setTimeout> | null = null;
    const laterTimers = new Set<ReturnType<typeof setTimeout>>();
    const listingsChanged = (ids: Set<string>) => {
      const read = () => {
        for (const id of ids) void client.invalidateQueries({ queryKey: listingKeys.conversation(id) });
        void client.invalidateQueries({ queryKey: listingKeys.all, predicate: (q) => q.queryKey[1] !== "conversation" });
      };
      read();
      const again = setTimeout(() => {
        laterTimers.delete(again);
        read();
      }, LISTINGS_AGAIN_MS);
      laterTimers.add(again);
    };
    const botChanged = (ids: Set<string>) => {
      const read = () => {
        for (const id of ids) void client.invalidateQueries({ queryKey: botKeys.conversation(id), exact: true });
      };
      read();
      const again = setTimeout(() => {
        laterTimers.delete(again);
        read();
      }, BOT_AGAIN_MS);
      laterTimers.add(again);
    };
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
      const withListings = listed;
      conversations = new Set();
      messages = new Set();
      listed = new Set();
      if (withListings.size > 0) listingsChanged(withListings);
      for (const id of withMessages) void client.invalidateQueries({ queryKey: keys.messages(id) });
      if (withMessages.size > 0) contactsChanged();
      for (const id of touched) void client.invalidateQueries({ queryKey: keys.audit(id), exact: true });
      if (touched.size > 0) botChanged(touched);
      // The inbox views' counts (one small query) follow every change.
      if (touched.size > 0) void client.invalidateQueries({ queryKey: [...keys.conversations, "counts"] });
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
        if (change.event_type === "watch.detected") listed.add(change.conversation_id);
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
          void client.invalidateQueries({ queryKey: listingKeys.all });
          void client.invalidateQueries({ queryKey: botKeys.all });
        }
      },
      onClosed: () => void client.invalidateQueries({ queryKey: keys.me }),
    });
    connection.start();
    return () => {
      connection.stop();
      if (timer !== null) clearTimeout(timer);
      if (contactsTimer !== null) clearTimeout(contactsTimer);
      for (const again of laterTimers) clearTimeout(again);
    };
  }, [client, enabled]);

  return status;
}
