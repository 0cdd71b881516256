import { useMemo } from "react";
import { may } from "../api/queries";
import { useMe } from "../auth/session";
import type { Listing } from "./logic";
import { useConversationListings } from "./queries";

const NONE: Listing[] = [];

/**
 * The watches read in a conversation's messages, by message id (wamid, or the inbox's id of a message
 * sent from it), for those who may read messages: fetched once for the whole conversation and kept current
 * by the live stream. A message's array stays the same object while unchanged, so its bubble does not
 * render again.
 */
export function useMessageListings(conversation: string): {
  of: (message: { id: string; wamid?: string | null }) => Listing[];
  /** Why they could not be read, with a way to try again. */
  failure: { error: Error; retry: () => void } | null;
} {
  const me = useMe().data ?? undefined;
  const query = useConversationListings(conversation, may(me, "messages.view"));
  const byMessage = useMemo(() => {
    const map = new Map<string, Listing[]>();
    for (const l of query.data ?? []) {
      const list = map.get(l.message_id);
      if (list) list.push(l);
      else map.set(l.message_id, [l]);
    }
    for (const list of map.values()) list.sort((a, b) => a.index - b.index);
    return map;
  }, [query.data]);
  return {
    of: (message) => (message.wamid ? byMessage.get(message.wamid) : undefined) ?? byMessage.get(message.id) ?? NONE,
    failure: query.isError ? { error: query.error, retry: () => void query.refetch() } : null,
  };
}
