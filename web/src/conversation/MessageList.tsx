import { Fragment, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { Conversation, Message } from "../api/client";
import { useMessages } from "../api/queries";
import { useI18n } from "../i18n/i18n";
import { dayKey, dayLabel } from "../format/time";
import { firstUnreadKey, reconcile } from "../messages/pending";
import { ownReactions, whatsappId } from "../messages/content";
import { ErrorNotice } from "../ErrorNotice";
import { MessageBubble } from "./MessageBubble";
import { NoteBubble } from "../teamwork/NoteBubble";
import { pendingMessages, usePendingMessages } from "./pendingStore";
import { useMessageListings } from "../listings/useMessageListings";
import { useConversationBot } from "../bot/queries";
import { turnsByMessage } from "../bot/logic";

/** Reactions, edits and deletions change another message; they are not messages of their own. */
function standalone(message: Message): boolean {
  const content = message.content as { content_type?: unknown; kind?: unknown } | null | undefined;
  const changesAnother = ["reaction", "edit", "revoke"].includes(String(content?.content_type));
  const ownReaction = message.direction === "outbound" && content?.kind === "reaction";
  return !changesAnother && !ownReaction;
}

/**
 * The conversation's messages, oldest at the top, with a separator per day. Scrolling to the top loads
 * older ones without moving what is on screen; a new message scrolls into view when the agent is at the
 * bottom.
 */
export function MessageList({
  conversation,
  unreadAtOpen,
  onReply,
  onReact,
  target = null,
}: {
  conversation: Conversation;
  unreadAtOpen: number;
  onReply?: ((message: Message) => void) | undefined;
  /** Set when the agent may react to messages. */
  onReact?: ((message: Message, emoji: string) => void) | undefined;
  /** A message to scroll to and highlight (a search result's), by its id or WhatsApp id. */
  target?: string | null;
}) {
  const { t, locale } = useI18n();
  const query = useMessages(conversation.id, true);
  const pending = usePendingMessages();
  const listings = useMessageListings(conversation.id);
  const bot = useConversationBot(conversation.id);
  const botTurns = useMemo(() => turnsByMessage(bot.data?.turns ?? []), [bot.data]);
  const server = useMemo(
    () => (query.data ? [...query.data.pages].reverse().flatMap((p) => p.messages) : []),
    [query.data],
  );
  const byId = useMemo(() => {
    const map = new Map<string, Message>();
    for (const m of server) {
      map.set(m.id, m);
      if (m.wamid) map.set(m.wamid, m);
    }
    return map;
  }, [server]);
  const reactions = useMemo(() => ownReactions(server), [server]);
  const shown = useMemo(
    () => reconcile(server.filter(standalone), pending, conversation.id, (id) => pendingMessages.keyOf(id)),
    [server, pending, conversation.id],
  );
  // Placed once, when the messages first show; it stays there while the conversation is open.
  const [unreadFrom, setUnreadFrom] = useState<string | null>(null);
  if (unreadFrom === null && unreadAtOpen > 0 && shown.length > 0) {
    const key = firstUnreadKey(shown, unreadAtOpen);
    if (key !== null) setUnreadFrom(key);
  }
  useEffect(() => {
    pendingMessages.settle(new Set(server.map((m) => m.id)));
  }, [server]);

  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  // The agent's own new message always scrolls into view.
  const mine = pending.filter((p) => p.conversationId === conversation.id).length;
  const mineBefore = useRef(mine);
  const heightBefore = useRef<number | null>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 200 && hasNextPage && !isFetchingNextPage) {
      heightBefore.current = el.scrollHeight;
      void fetchNextPage();
    }
  };

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (heightBefore.current !== null && !isFetchingNextPage) {
      // Older messages came in above: keep what the agent was reading where it was.
      el.scrollTop += el.scrollHeight - heightBefore.current;
      heightBefore.current = null;
    } else if (atBottom.current || mine > mineBefore.current) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    }
    mineBefore.current = mine;
  }, [shown, isFetchingNextPage, mine]);

  // The message asked for: older pages load until it is there (or there are none left), then it is
  // brought to the middle of the view, once per target, and focused so the keyboard starts from it.
  const found = target === null ? undefined : server.find((m) => m.id === target || m.wamid === target);
  const reached = useRef<string | null>(null);
  useEffect(() => {
    if (target === null || reached.current === target) return;
    if (!found) {
      if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
      return;
    }
    const el = scroller.current?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(found.id)}"]`);
    if (!el) return;
    reached.current = target;
    atBottom.current = false;
    el.scrollIntoView({ block: "center" });
    el.focus({ preventScroll: true });
  }, [target, found, shown, hasNextPage, isFetchingNextPage, fetchNextPage]);

  if (query.isError) return <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />;
  let previousDay: string | null = null;
  return (
    <div ref={scroller} className="message-scroller" onScroll={onScroll}>
      <div role="log" aria-label={t("conversation.messages")} aria-busy={query.isPending || isFetchingNextPage}>
        {query.isPending && <p role="status">{t("loading")}</p>}
        {isFetchingNextPage && <p role="status">{t("conversation.loadingOlder")}</p>}
        {query.data && !hasNextPage && <p className="conversation-start">{t("conversation.start")}</p>}
        {listings.failure && <ErrorNotice error={listings.failure.error} onRetry={listings.failure.retry} />}
        <ol className="messages">
          {shown.map(({ key, message, pending: mine }) => {
            const at = message.sent_at ?? conversation.created_at;
            const day = dayKey(at);
            const separator = day !== previousDay;
            previousDay = day;
            return (
              <Fragment key={key}>
                {separator && (
                  <li className="day-separator">
                    <h3>{dayLabel(at, locale, { today: t("conversation.today"), yesterday: t("conversation.yesterday") })}</h3>
                  </li>
                )}
                {key === unreadFrom && (
                  <li className="unread-separator">
                    <h3>{t("conversation.unread", { count: unreadAtOpen })}</h3>
                  </li>
                )}
                {message.direction === "note" && !mine ? (
                  <NoteBubble message={message} />
                ) : (
                <MessageBubble
                  message={message}
                  quoted={message.reply_to ? (byId.get(message.reply_to) ?? null) : null}
                  pending={mine}
                  onDismiss={mine ? () => pendingMessages.remove(mine.clientId) : undefined}
                  onReply={onReply}
                  onReact={onReact}
                  ownReaction={reactions.get(whatsappId(message) ?? "") ?? null}
                  listings={mine ? undefined : listings.of(message)}
                  found={found !== undefined && !mine && message.id === found.id}
                  botTurn={mine ? null : (botTurns.get(message.id) ?? null)}
                />
                )}
              </Fragment>
            );
          })}
        </ol>
      </div>
    </div>
  );
}
