import { useCallback, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import type { LiveChange } from "./resume";
import { readStored, writeStored } from "../prefs/stored";
import { api } from "../api/client";
import { conversationPath } from "../inbox/route";
import { notifies, parseChoice, serializeChoice, switchNumber, type NotifyChoice } from "./notifyChoice";

const STORAGE_KEY = "inbox.notifications";

export interface Notifications {
  supported: boolean;
  denied: boolean;
  /** Whether a customer's new message on this number notifies. */
  isOn: (account: string) => boolean;
  /** Switches one number; `all` is every number the user sees. Switching on asks the browser first. */
  setNumber: (account: string, on: boolean, all: readonly string[]) => Promise<void>;
  notify: (change: LiveChange) => void;
}

/**
 * Browser notifications for a customer's new message while the tab is hidden: opt-in per number (the
 * first switch asks the browser's permission), remembered in this browser.
 */
export function useNotifications(): Notifications {
  const supported = typeof window !== "undefined" && "Notification" in window;
  const [choice, setChoice] = useState<NotifyChoice>(() =>
    supported && Notification.permission === "granted" ? parseChoice(readStored(STORAGE_KEY)) : new Set(),
  );
  const [denied, setDenied] = useState(() => supported && Notification.permission === "denied");
  const client = useQueryClient();
  const current = useRef(choice);
  current.current = choice;

  const setNumber = useCallback(
    async (account: string, on: boolean, all: readonly string[]) => {
      if (!supported) return;
      if (on && Notification.permission !== "granted") {
        const answer = await Notification.requestPermission();
        setDenied(answer === "denied");
        if (answer !== "granted") return;
      }
      const next = switchNumber(current.current, account, on, all);
      writeStored(STORAGE_KEY, serializeChoice(next));
      setChoice(next);
    },
    [supported],
  );

  const notify = useCallback(
    (change: LiveChange) => {
      if (!document.hidden || !notifies(current.current, change.account_id)) return;
      if (change.event_type !== "message.received" || !change.message_id) return;
      void (async () => {
        const answer = await api.GET("/api/v1/conversations/{id}", { params: { path: { id: change.conversation_id } } });
        const conversation = answer.data;
        const last = conversation?.last_message;
        if (!conversation || !last || last.message_id !== change.message_id) return;
        const title = conversation.contact.name ?? conversation.contact.wa_id ?? conversation.contact.contact_id;
        const notification = new Notification(title, {
          body: last.preview ?? "",
          tag: conversation.id,
        });
        notification.onclick = () => {
          window.focus();
          window.history.pushState(null, "", conversationPath(conversation.id));
          window.dispatchEvent(new PopStateEvent("popstate"));
          void client.invalidateQueries({ queryKey: ["messages", conversation.id] });
        };
      })();
    },
    [client],
  );

  const isOn = useCallback((account: string) => notifies(choice, account), [choice]);
  return { supported, denied, isOn, setNumber, notify };
}
