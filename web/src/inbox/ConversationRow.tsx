import { memo, type MouseEvent } from "react";
import type { Conversation } from "../api/client";
import { useI18n } from "../i18n/i18n";
import { listTime } from "../format/time";
import { Avatar } from "./Avatar";
import { previewOf } from "./preview";
import { conversationPath } from "./route";
import { RowTeamwork } from "../teamwork/RowTeamwork";

export const ROW_HEIGHT = 72;

/** The customer's number as people write it: their WhatsApp id, or a contact id that is a number (a
 * conversation the business started, before the customer wrote). */
export function contactNumber(conversation: Conversation): string | null {
  const c = conversation.contact;
  const digits = c.wa_id ?? (/^\d+$/.test(c.contact_id) ? c.contact_id : null);
  return digits ? `+${digits}` : null;
}

export function contactName(conversation: Conversation): string {
  const c = conversation.contact;
  return c.name ?? contactNumber(conversation) ?? c.username ?? c.contact_id;
}

/** One conversation in the list: a link (so it opens in a new tab too) named by the contact. */
export const ConversationRow = memo(function ConversationRow({
  conversation,
  open,
  onOpen,
}: {
  conversation: Conversation;
  open: boolean;
  onOpen: (id: string) => void;
}) {
  const { t, locale } = useI18n();
  const name = contactName(conversation);
  const last = conversation.last_message;
  const unread = conversation.unread_count;
  const click = (event: MouseEvent) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    onOpen(conversation.id);
  };
  return (
    <a
      href={conversationPath(conversation.id)}
      className={unread > 0 ? "conversation-row unread" : "conversation-row"}
      aria-current={open ? "page" : undefined}
      onClick={click}
    >
      <Avatar name={conversation.contact.name} seed={conversation.contact.contact_id} />
      <span className="row-main">
        <span className="row-top">
          <span className="row-name">{name}</span>
          {last && (
            <time className="row-time" dateTime={last.at}>
              {listTime(last.at, locale)}
            </time>
          )}
        </span>
        <span className="row-bottom">
          <span className="row-preview">{previewOf(conversation, t)}</span>
          <RowTeamwork conversation={conversation} />
          {conversation.favourite && (
            <span className="badge favourite" title={t("inbox.favourite")}>
              <span aria-hidden="true">★</span>
              <span className="visually-hidden">{t("inbox.favourite")}</span>
            </span>
          )}
          {conversation.bot_enabled && <span className="badge bot">{t("inbox.bot")}</span>}
          {conversation.is_group && <span className="badge group">{t("inbox.group")}</span>}
          {unread > 0 && (
            <span className="badge unread-count">
              <span aria-hidden="true">{unread}</span>
              <span className="visually-hidden">{t("inbox.unread", { count: unread })}</span>
            </span>
          )}
        </span>
      </span>
    </a>
  );
});
