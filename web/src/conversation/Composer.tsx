import { useEffect, useId, useRef, useState, type ChangeEvent, type FormEvent, type KeyboardEvent } from "react";
import { api, unwrap, type Conversation, type Message, type Schemas } from "../api/client";
import { whatsappId } from "../messages/content";
import { QuotedText } from "./MessageBody";
import { acceptedTypes, checkAttachment, megabytes, takesCaption, type MediaKind } from "../messages/attachment";
import { useLimits } from "../api/queries";
import { sendsOnKey, useEnterSends } from "../prefs/enterSends";
import { EmojiPicker } from "./EmojiPicker";
import { InteractiveBuilder } from "./InteractiveBuilder";
import { kindLabel } from "../inbox/preview";
import { useI18n } from "../i18n/i18n";
import { closingTime } from "../format/time";
import { TemplatePicker } from "./TemplatePicker";
import { useSend } from "./useSend";

/**
 * Writes a reply: text with emoji (Enter sends, Shift+Enter starts a new line, or Ctrl+Enter sends when
 * the user prefers), a file with the text as its caption, checked against WhatsApp's types and sizes (as
 * the server publishes them) before it is uploaded, or reply buttons and lists (`InteractiveBuilder`).
 * The message shows at once as "sending" (see `messages/pending.ts`). Says until when free replies are
 * allowed; once the 24-hour window is closed only a template can be sent (`TemplatePicker`).
 */
export function Composer({
  conversation,
  canSend,
  replyTo,
  onCancelReply,
}: {
  conversation: Conversation;
  canSend: boolean;
  /** The message the reply quotes. */
  replyTo: Message | null;
  onCancelReply: () => void;
}) {
  const { t, locale } = useI18n();
  const sendMessage = useSend(conversation.id);
  const id = useId();
  const hintId = useId();
  const [text, setText] = useState("");
  const [file, setFile] = useState<{ file: File; kind: MediaKind } | null>(null);
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const open = conversation.reply_window_open;
  const box = useRef<HTMLTextAreaElement>(null);
  const limits = useLimits().data;
  const enterSends = useEnterSends();
  // Choosing a message to reply to goes straight to writing the reply.
  useEffect(() => {
    if (replyTo) box.current?.focus();
  }, [replyTo]);

  const choose = (event: ChangeEvent<HTMLInputElement>) => {
    const chosen = event.target.files?.[0];
    event.target.value = "";
    if (!chosen || !limits) return;
    const check = checkAttachment(chosen, limits.media);
    if (check.ok) {
      setFile({ file: chosen, kind: check.kind });
      setFileProblem(null);
    } else {
      setFile(null);
      setFileProblem(
        check.reason === "type"
          ? t("composer.fileType", { type: check.type })
          : t("composer.fileSize", { kind: kindLabel(check.kind, t), max: megabytes(check.max) }),
      );
    }
  };

  const send = () => {
    const body = text.trim();
    if ((body === "" && !file) || !open || !canSend) return;
    const attached = file;
    const quoted = replyTo ? whatsappId(replyTo) : null;
    setText("");
    setFile(null);
    onCancelReply();
    if (attached) sendMessage(body, attached.file.name, () => uploaded(attached.file, attached.kind, body), quoted);
    else sendMessage(body, null, () => Promise.resolve({ kind: "text", body, preview_url: false }), quoted);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };
  const keyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (sendsOnKey({ ...event, isComposing: event.nativeEvent.isComposing }, enterSends)) {
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
  /** Puts the emoji where the cursor is (or in place of the selection), and the cursor after it. */
  const insert = (emoji: string) => {
    const area = box.current;
    const start = area?.selectionStart ?? text.length;
    const end = area?.selectionEnd ?? text.length;
    setText(text.slice(0, start) + emoji + text.slice(end));
    requestAnimationFrame(() => {
      area?.focus();
      area?.setSelectionRange(start + emoji.length, start + emoji.length);
    });
  };
  const attachId = `${id}-file`;

  return (
    <div className="composer">
      <p id={hintId} className={usable ? "composer-hint" : "composer-hint closed"}>
        {hint}
      </p>
      {fileProblem && (
        <p className="form-error" role="alert">
          {fileProblem}
        </p>
      )}
      {replyTo && (
        <div className="replying">
          <blockquote className="quote">
            <span className="visually-hidden">{t("message.replyTo")} </span>
            <QuotedText message={replyTo} />
          </blockquote>
          <button type="button" onClick={onCancelReply}>
            {t("composer.cancelReply")}
          </button>
        </div>
      )}
      {file && (
        <p className="attachment">
          <span>{t("composer.attached", { name: file.file.name, kind: kindLabel(file.kind, t) })}</span>
          <button type="button" onClick={() => setFile(null)}>
            {t("composer.removeFile", { name: file.file.name })}
          </button>
        </p>
      )}
      <div className="composer-row">
        <form className="composer-form" onSubmit={submit}>
        <label htmlFor={attachId} className={usable && limits ? "attach" : "attach disabled"}>
          <input
            id={attachId}
            type="file"
            className="visually-hidden"
            accept={limits ? acceptedTypes(limits.media) : undefined}
            disabled={!usable || !limits}
            onChange={choose}
          />
          {t("composer.attach")}
        </label>
        <label htmlFor={id} className="visually-hidden">
          {t("composer.label")}
        </label>
        <textarea
          ref={box}
          id={id}
          rows={2}
          maxLength={limits?.text}
          placeholder={usable ? t(enterSends ? "composer.placeholder" : "composer.placeholderEnterNewLine") : undefined}
          aria-describedby={hintId}
          disabled={!usable}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={keyDown}
        />
        <EmojiPicker disabled={!usable} onPick={insert} />
        <button type="submit" className="primary" disabled={!usable || (text.trim() === "" && !file)}>
          {t("composer.send")}
        </button>
        </form>
        {canSend && limits && <InteractiveBuilder limits={limits.interactive} disabled={!open} onSend={sendMessage} />}
        {canSend && <TemplatePicker accountId={conversation.account_id} onSend={sendMessage} prominent={!open} />}
      </div>
    </div>
  );
}

type MediaContent =
  | Schemas["OutboundContent_ImageMessage"]
  | Schemas["OutboundContent_VideoMessage"]
  | Schemas["OutboundContent_AudioMessage"]
  | Schemas["OutboundContent_DocumentMessage"]
  | Schemas["OutboundContent_StickerMessage"];

/** Uploads the file to the inbox's media store; the message names it by the id the store answers. */
async function uploaded(file: File, kind: MediaKind, caption: string): Promise<MediaContent> {
  const form = new FormData();
  form.append("file", file, file.name);
  const media = unwrap(
    await api.POST("/api/v1/media", {
      body: { file: "" },
      bodySerializer: () => form,
    }),
  );
  const text = caption === "" || !takesCaption(kind) ? undefined : caption;
  switch (kind) {
    case "image":
      return { kind, media_id: media.id, caption: text };
    case "video":
      return { kind, media_id: media.id, caption: text };
    case "document":
      return { kind, media_id: media.id, caption: text, filename: file.name };
    case "audio":
      return { kind, media_id: media.id };
    case "sticker":
      return { kind, media_id: media.id };
  }
}
