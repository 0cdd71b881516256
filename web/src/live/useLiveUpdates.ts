import { useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { LiveConnection, type LiveChange, type LiveStatus } from "./resume";
import { keys } from "../api/queries";

/**
 * Keeps the query cache current from `/api/v1/stream`: each change invalidates what it touched (changes
 * arriving together are applied together, within 50 ms), so a new message shows within a
 * second with no polling. `onChange` also sees every change (notifications).
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
    const flush = () => {
      timer = null;
      const touched = conversations;
      const withMessages = messages;
      conversations = new Set();
      messages = new Set();
      void client.invalidateQueries({ queryKey: ["conversations", "list"] });
      for (const id of touched) void client.invalidateQueries({ queryKey: keys.conversation(id) });
      for (const id of withMessages) void client.invalidateQueries({ queryKey: keys.messages(id) });
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
        }
      },
      onClosed: () => void client.invalidateQueries({ queryKey: keys.me }),
    });
    connection.start();
    return () => {
      connection.stop();
      if (timer !== null) clearTimeout(timer);
    };
  }, [client, enabled]);

  return status;
}
