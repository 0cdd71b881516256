import { useEffect, useRef, type KeyboardEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useConversations, type ConversationFilter } from "../api/queries";
import { useI18n } from "../i18n/i18n";
import { ErrorNotice } from "../ErrorNotice";
import { ConversationRow, ROW_HEIGHT } from "./ConversationRow";

/**
 * The conversations, most recent first. Only the rows in view are in the page (virtualised), and the
 * next page loads as the agent nears the end, so 10,000 conversations scroll as smoothly as 10.
 */
export function ConversationList({
  filter,
  openId,
  onOpen,
}: {
  filter: ConversationFilter;
  openId: string | null;
  onOpen: (id: string) => void;
}) {
  const { t } = useI18n();
  const query = useConversations(filter, true);
  const rows = query.data?.pages.flatMap((p) => p.conversations) ?? [];
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length + (query.hasNextPage ? 1 : 0),
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    getItemKey: (index) => rows[index]?.id ?? "more",
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? -1;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  useEffect(() => {
    if (lastIndex >= rows.length - 10 && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [lastIndex, rows.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  // Up and down arrows, Home and End move between conversations, scrolling rows into the page as needed.
  const keyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const from = Number((event.target as HTMLElement).closest("li")?.dataset.index ?? -1);
    const moves: Record<string, number> = { ArrowDown: from + 1, ArrowUp: from - 1, Home: 0, End: rows.length - 1 };
    const to = moves[event.key];
    if (to === undefined || from < 0 || to < 0 || to >= rows.length) return;
    event.preventDefault();
    virtualizer.scrollToIndex(to, { align: "auto" });
    const focus = (tries: number) => {
      const link = scroller.current?.querySelector<HTMLAnchorElement>(`li[data-index="${to}"] a`);
      if (link) link.focus();
      else if (tries > 0) requestAnimationFrame(() => focus(tries - 1));
    };
    requestAnimationFrame(() => focus(10));
  };

  if (query.isError) return <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />;
  if (query.isPending) {
    return (
      <p className="empty" role="status">
        {t("loading")}
      </p>
    );
  }
  const searching = filter.q.trim() !== "";
  if (rows.length === 0 && searching) {
    return (
      <div>
        <h2 className="sidebar-group conversation-group">{t("inbox.conversations")}</h2>
        <p className="empty">{t("search.noConversations")}</p>
      </div>
    );
  }
  if (rows.length === 0) return <p className="empty">{t("inbox.empty")}</p>;
  return (
    <>
      {/* While searching, the matching conversations are one group and the matching messages another. */}
      {searching && <h2 className="sidebar-group conversation-group">{t("inbox.conversations")}</h2>}
      <div ref={scroller} className="conversation-list">
        <ul aria-label={t("inbox.conversations")} style={{ height: virtualizer.getTotalSize() }} onKeyDown={keyDown}>
          {items.map((item) => {
            const conversation = rows[item.index];
            return (
              <li
                key={item.key}
                data-index={item.index}
                style={{ transform: `translateY(${item.start}px)`, height: item.size }}
                aria-setsize={rows.length}
                aria-posinset={item.index + 1}
              >
                {conversation ? (
                  <ConversationRow conversation={conversation} open={conversation.id === openId} onOpen={onOpen} />
                ) : (
                  <p className="loading-more" role="status">
                    {t("inbox.loadingMore")}
                  </p>
                )}
              </li>
            );
          })}
        </ul>
      </div>
    </>
  );
}
