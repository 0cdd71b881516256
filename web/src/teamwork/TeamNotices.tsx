import { useCallback, useRef, useState } from "react";
import { api, type Me } from "../api/client";
import { useI18n } from "../i18n/i18n";
import type { Translate } from "../i18n/i18n";
import { contactName } from "../inbox/ConversationRow";
import type { LiveChange } from "../live/resume";
import type { Notifications } from "../live/useNotifications";
import { personName } from "./logic";
import { noteMentions, noteText } from "./NoteBubble";
import { tookItMyself } from "./selfAssigned";

/** Something a colleague did that concerns the signed-in user. */
export interface TeamNotice {
  key: string;
  conversation: string;
  text: string;
}

/** At most this many notices stay on screen; the oldest go first. */
const KEEP = 4;

/**
 * Tells the signed-in user, in the app, when a conversation is assigned to them (`conversation.assigned`
 * on the live stream, by someone else) or a note mentions them (`note.added`); with the browser's
 * notifications on for that number and the tab hidden, the browser says it too.
 */
export function useTeamNotices(me: Me, notifications: Notifications) {
  const { t } = useI18n();
  const [list, setList] = useState<TeamNotice[]>([]);
  const seen = useRef(new Set<string>());
  const self = me.user?.id ?? null;
  const tr = useRef<Translate>(t);
  tr.current = t;

  const show = useCallback(
    (notice: TeamNotice, account: string) => {
      if (seen.current.has(notice.key)) return;
      seen.current.add(notice.key);
      setList((now) => [...now.filter((n) => n.key !== notice.key), notice].slice(-KEEP));
      if (document.hidden && notifications.supported && Notification.permission === "granted" && notifications.isOn(account)) {
        const shown = new Notification(tr.current("appName"), { body: notice.text, tag: notice.key });
        shown.onclick = () => window.focus();
      }
    },
    [notifications],
  );

  const onChange = useCallback(
    (change: LiveChange) => {
      if (self === null) return;
      if (change.event_type === "conversation.assigned") {
        void (async () => {
          const answer = await api.GET("/api/v1/conversations/{id}", { params: { path: { id: change.conversation_id } } });
          const conversation = answer.data;
          if (!conversation || conversation.assignee !== self || tookItMyself(conversation.id)) return;
          show(
            {
              key: `assigned-${change.position}`,
              conversation: conversation.id,
              text: tr.current("teamwork.notice.assigned", { contact: contactName(conversation) }),
            },
            change.account_id,
          );
        })().catch(() => undefined);
      } else if (change.event_type === "note.added" && change.message_id) {
        const messageId = change.message_id;
        void (async () => {
          const [messages, conversation, agents] = await Promise.all([
            api.GET("/api/v1/conversations/{id}/messages", { params: { path: { id: change.conversation_id }, query: { limit: 20 } } }),
            api.GET("/api/v1/conversations/{id}", { params: { path: { id: change.conversation_id } } }),
            api.GET("/api/v1/agents"),
          ]);
          const note = messages.data?.messages.find((m) => m.id === messageId);
          if (!note || note.sender === self || !noteMentions(note).includes(self) || !conversation.data) return;
          const author = agents.data?.find((a) => a.id === note.sender);
          show(
            {
              key: `note-${messageId}`,
              conversation: change.conversation_id,
              text: `${tr.current("teamwork.notice.mentioned", {
                who: author ? personName(author) : tr.current("teamwork.notice.someone"),
                contact: contactName(conversation.data),
              })} ${noteText(note)}`,
            },
            change.account_id,
          );
        })().catch(() => undefined);
      }
    },
    [self, show],
  );

  const dismiss = useCallback((key: string) => setList((now) => now.filter((n) => n.key !== key)), []);
  return { list, onChange, dismiss };
}

/** The notices, bottom right: each says what happened, opens the conversation, or goes away. */
export function TeamNotices({
  notices,
  onDismiss,
  onOpen,
}: {
  notices: readonly TeamNotice[];
  onDismiss: (key: string) => void;
  onOpen: (conversation: string) => void;
}) {
  const { t } = useI18n();
  return (
    <section aria-label={t("teamwork.notices")} aria-live="polite" className="notices-region">
      {notices.length > 0 && (
        <ul className="notices">
          {notices.map((notice) => (
            <li key={notice.key} className="notice">
              <p>{notice.text}</p>
              <button
                type="button"
                className="primary"
                onClick={() => {
                  onDismiss(notice.key);
                  onOpen(notice.conversation);
                }}
              >
                {t("teamwork.notice.open")}
              </button>
              <button type="button" onClick={() => onDismiss(notice.key)}>
                {t("teamwork.notice.dismiss")}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
