import { useCallback, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import type { LiveChange } from "./resume";
import { readStored, writeStored } from "../prefs/stored";
import { api } from "../api/client";
import { conversationPath } from "../inbox/route";

const STORAGE_KEY = "inbox.notifications";

export interface Notifications {
  supported: boolean;
  enabled: boolean;
  denied: boolean;
  setEnabled: (on: boolean) => Promise<void>;
  notify: (change: LiveChange) => void;
}

/**
 * Browser notifications for a customer's new message while the tab is hidden; opt-in (the switch asks
 * the browser's permission), remembered in this browser.
 */
export function useNotifications(): Notifications {
  const supported = typeof window !== "undefined" && "Notification" in window;
  const [enabled, setEnabledState] = useState(
    () => supported && readStored(STORAGE_KEY) === "on" && Notification.permission === "granted",
  );
  const [denied, setDenied] = useState(() => supported && Notification.permission === "denied");
  const client = useQueryClient();
  const on = useRef(enabled);
  on.current = enabled;

  const setEnabled = useCallback(
    async (next: boolean) => {
      if (!supported) return;
      if (next && Notification.permission !== "granted") {
        const answer = await Notification.requestPermission();
        setDenied(answer === "denied");
        if (answer !== "granted") return;
      }
      writeStored(STORAGE_KEY, next ? "on" : "off");
      setEnabledState(next);
    },
    [supported],
  );

  const notify = useCallback(
    (change: LiveChange) => {
      if (!on.current || !document.hidden) return;
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

  return { supported, enabled, denied, setEnabled, notify };
}
