import { useSyncExternalStore } from "react";
import { PendingStore, type PendingMessage } from "../messages/pending";

/** The agent's messages on their way, for the whole app (they survive switching conversations). */
export const pendingMessages = new PendingStore();

export function usePendingMessages(): readonly PendingMessage[] {
  return useSyncExternalStore(pendingMessages.subscribe, pendingMessages.snapshot);
}
