import { useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Conversation } from "../api/client";
import { keys } from "../api/queries";
import { useI18n } from "../i18n/i18n";
import { closingTime } from "../format/time";
import { messageOf } from "../ErrorNotice";
import { pendingMessages } from "./pendingStore";

/**
 * Writes a text reply: Enter sends, Shift+Enter starts a new line. The message shows at once as
 * "sending" (see `messages/pending.ts`). Says until when free replies are allowed; once the 24-hour
 * window is closed it says only templates can be sent.
 */
export function Composer({ conversation, canSend }: { conversation: Conversation; canSend: boolean }) {
  const { t, locale } = useI18n();
  const client = useQueryClient();
  const id = useId();
  const hintId = useId();
  const [text, setText] = useState("");
  const open = conversation.reply_window_open;

  const send = () => {
    const body = text.trim();
    if (body === "" || !open || !canSend) return;
    setText("");
    const item = pendingMessages.add(conversation.id, body);
    void (async () => {
      try {
        const queued = unwrap(
          await api.POST("/api/v1/conversations/{id}/messages", {
            params: { path: { id: conversation.id }, header: { "Idempotency-Key": item.clientId } },
            body: { content: { kind: "text", body } },
          }),
        );
        pendingMessages.resolve(item.clientId, queued.message_id);
        void client.invalidateQueries({ queryKey: keys.messages(conversation.id) });
      } catch (error) {
        pendingMessages.fail(item.clientId, messageOf(error));
      }
    })();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };
  const keyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  const hint = !canSend
    ? t("composer.mayNotSend")
    : open && conversation.reply_window_closes_at
      ? t("composer.windowOpen", { time: closingTime(conversation.reply_window_closes_at, locale) })
      : conversation.last_inbound_at
        ? t("composer.windowClosed")
        : t("composer.noWindow");
  const usable = open && canSend;

  return (
    <form className="composer" onSubmit={submit}>
      <p id={hintId} className={usable ? "composer-hint" : "composer-hint closed"}>
        {hint}
      </p>
      <div className="composer-row">
        <label htmlFor={id} className="visually-hidden">
          {t("composer.label")}
        </label>
        <textarea
          id={id}
          rows={2}
          maxLength={4096}
          placeholder={usable ? t("composer.placeholder") : undefined}
          aria-describedby={hintId}
          disabled={!usable}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={keyDown}
        />
        <button type="submit" className="primary" disabled={!usable || text.trim() === ""}>
          {t("composer.send")}
        </button>
      </div>
    </form>
  );
}
