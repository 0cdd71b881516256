import { useCallback, useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Me, type Message } from "../api/client";
import { keys, may, useConversation } from "../api/queries";
import { updateLists } from "../api/conversationLists";
import { whatsappId } from "../messages/content";
import { useI18n } from "../i18n/i18n";
import { ErrorNotice } from "../ErrorNotice";
import { Avatar } from "../inbox/Avatar";
import { contactName, contactNumber } from "../inbox/ConversationRow";
import { auditPath, followLink } from "../inbox/route";
import { AuditScreen } from "../audit/AuditScreen";
import { ConversationSettings } from "./ConversationSettings";
import { MessageList } from "./MessageList";
import { Composer } from "./Composer";
import { ConversationBotStatus } from "../bot/ConversationBot";
import { ConversationTeamwork } from "../teamwork/ConversationTeamwork";

/** One conversation: who, its settings, its messages, and the composer. Opening it marks it read. */
export function ConversationScreen({
  id,
  me,
  onBack,
  audit = false,
  target = null,
  onNext = onBack,
}: {
  id: string;
  me: Me;
  onBack: () => void;
  audit?: boolean;
  /** The message to show scrolled to and highlighted (`?message=` in the address). */
  target?: string | null;
  /** Opens the next conversation of the list ("Resolve and go to next"). */
  onNext?: () => void;
}) {
  const { t } = useI18n();
  const conversation = useConversation(id);
  const data = conversation.data;
  const account = data?.account_id;
  const canManage = account !== undefined && may(me, "conversations.manage", account);
  // What was unread when it was opened stays marked as such while it is open, though it is marked read.
  const [unreadAtOpen, setUnreadAtOpen] = useState<number | null>(null);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const canSend = data !== undefined && may(me, "messages.send", data.account_id);
  if (unreadAtOpen === null && data) setUnreadAtOpen(data.unread_count);
  const react = useReact(id);
  useMarkRead(id, canManage && (data?.unread_count ?? 0) > 0);

  if (conversation.isError && !data) return <ErrorNotice error={conversation.error} onRetry={() => void conversation.refetch()} />;
  if (!data) {
    return (
      <p className="empty" role="status">
        {t("loading")}
      </p>
    );
  }
  const name = contactName(data);
  const number = contactNumber(data);
  const canAudit = may(me, "audit.view", data.account_id);
  if (audit && canAudit) return <AuditScreen id={id} me={me} name={name} />;
  return (
    <section className="conversation" aria-label={name}>
      <header className="conversation-header">
        <button type="button" className="back" onClick={onBack} aria-label={t("inbox.back")}>
          <span aria-hidden="true">←</span>
        </button>
        <Avatar name={data.contact.name} seed={data.contact.contact_id} />
        <div className="conversation-title">
          <h2>{name}</h2>
          {number && number !== name && <p className="muted">{number}</p>}
        </div>
        {canAudit && (
          <a href={auditPath(id)} className="audit-link" onClick={(e) => followLink(e, auditPath(id))}>
            {t("audit.open")}
          </a>
        )}
        <ConversationSettings conversation={data} disabled={!canManage} />
      </header>
      <ConversationTeamwork conversation={data} me={me} onResolvedNext={onNext} />
      <ConversationBotStatus id={id} />
      <MessageList
        conversation={data}
        unreadAtOpen={unreadAtOpen ?? 0}
        onReply={canSend ? setReplyTo : undefined}
        onReact={canSend && data.reply_window_open ? react : undefined}
        target={target}
      />
      <Composer
        conversation={data}
        canSend={canSend}
        me={me}
        mayNote={canManage}
        replyTo={replyTo}
        onCancelReply={() => setReplyTo(null)}
      />
    </section>
  );
}

/** Marks the conversation read while it is open, on screen, and has unread messages (again when new ones
 * arrive, or when the tab comes back into view). */
function useMarkRead(id: string, needed: boolean) {
  const client = useQueryClient();
  const busy = useRef(false);
  const [visible, setVisible] = useState(() => !document.hidden);
  useEffect(() => {
    const changed = () => setVisible(!document.hidden);
    document.addEventListener("visibilitychange", changed);
    return () => document.removeEventListener("visibilitychange", changed);
  }, []);
  useEffect(() => {
    if (!needed || busy.current || !visible) return;
    busy.current = true;
    void (async () => {
      try {
        const answer = await api.POST("/api/v1/conversations/{id}/read", { params: { path: { id } } });
        const updated = unwrap(answer);
        client.setQueryData(keys.conversation(id), updated);
        updateLists(client, updated);
      } catch {
        // Still unread; the next change tries again.
      } finally {
        busy.current = false;
      }
    })();
  }, [client, id, needed, visible]);
}

/** Reacts to a message with an emoji (an empty one takes the reaction back); the reaction shows once the
 * messages are read again. */
function useReact(id: string) {
  const client = useQueryClient();
  return useCallback(
    (message: Message, emoji: string) => {
      const target = whatsappId(message);
      if (!target) return;
      void (async () => {
        await api.POST("/api/v1/conversations/{id}/messages", {
          params: { path: { id } },
          body: { content: { kind: "reaction", message_id: target, emoji } },
        });
        void client.invalidateQueries({ queryKey: keys.messages(id) });
      })();
    },
    [client, id],
  );
}
