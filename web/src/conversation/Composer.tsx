import { useEffect, useId, useRef, useState, type ChangeEvent, type FormEvent, type KeyboardEvent } from "react";
import { api, unwrap, type Conversation, type Me, type Message, type Schemas } from "../api/client";
import { whatsappId } from "../messages/content";
import { QuotedText } from "./MessageBody";
import { acceptedTypes, checkAttachment, megabytes, takesCaption, type MediaKind } from "../messages/attachment";
import { useAccounts, useLimits } from "../api/queries";
import { sendsOnKey, useEnterSends } from "../prefs/enterSends";
import { EmojiPicker } from "./EmojiPicker";
import { InteractiveBuilder } from "./InteractiveBuilder";
import { kindLabel } from "../inbox/preview";
import { useI18n } from "../i18n/i18n";
import { messageOf } from "../ErrorNotice";
import { closingTime } from "../format/time";
import { TemplatePicker } from "./TemplatePicker";
import { useSend } from "./useSend";
import { contactName } from "../inbox/ConversationRow";
import { fillPlaceholders, insertMention, matchReplies, mentionAt, mentionsIn, personName, slashQuery } from "../teamwork/logic";
import { useAddNote, useAgents, useReplies } from "../teamwork/queries";
import { moveActive, optionId, SuggestionList, type Suggestion } from "../teamwork/SuggestionList";

/**
 * Writes a reply: text with emoji (Enter sends, Shift+Enter starts a new line, or Ctrl+Enter sends when
 * the user prefers), a file with the text as its caption, checked against WhatsApp's types and sizes (as
 * the server publishes them) before it is uploaded, or reply buttons and lists (`InteractiveBuilder`).
 * The message shows at once as "sending" (see `messages/pending.ts`). Says until when free replies are
 * allowed; once the 24-hour window is closed only a template can be sent (`TemplatePicker`).
 *
 * Inside the window, `/` at the start opens the canned replies (arrow keys, Enter, Escape), the one picked
 * put in with its placeholders filled. The Note mode writes a private note instead, never sent, where `@`
 * picks a colleague to mention.
 */
export function Composer({
  conversation,
  canSend,
  replyTo,
  onCancelReply,
  me,
  mayNote,
}: {
  conversation: Conversation;
  canSend: boolean;
  me: Me;
  /** Whether the user may write private notes here. */
  mayNote: boolean;
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
  const replyable = open && canSend;
  const box = useRef<HTMLTextAreaElement>(null);
  const limits = useLimits().data;
  const enterSends = useEnterSends();
  const [mode, setMode] = useState<"reply" | "note">(canSend || !mayNote ? "reply" : "note");
  const note = mode === "note";
  const listId = useId();
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const [caret, setCaret] = useState(0);
  const [picked, setPicked] = useState<{ id: string; name: string }[]>([]);
  const addNote = useAddNote(conversation.id);
  const accounts = useAccounts(true).data;
  const replies = useReplies(conversation.account_id, canSend && open && !note).data ?? [];
  const agents = useAgents(mayNote).data ?? [];
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
    if (note) return sendNote();
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

  const sendNote = () => {
    const body = text.trim();
    if (body === "" || !mayNote || addNote.isPending) return;
    addNote.mutate({ text: body, mentions: mentionsIn(body, picked) }, {
      onSuccess: () => {
        setText("");
        setPicked([]);
      },
    });
  };

  // What the picker offers: canned replies after `/` (replying, inside the window), colleagues after `@` (a note).
  const slash = !note && replyable ? slashQuery(text) : null;
  const mention = note && mayNote ? mentionAt(text, caret) : null;
  const suggestions: Suggestion[] =
    slash !== null
      ? matchReplies(replies, slash).map((r) => ({ id: r.id, primary: `/${r.shortcut}`, secondary: r.text }))
      : mention !== null
        ? agents
            .filter((a) => a.active && a.id !== me.user?.id)
            .filter((a) => personName(a).toLowerCase().includes(mention.query.toLowerCase()) || a.email.toLowerCase().includes(mention.query.toLowerCase()))
            .map((a) => ({ id: a.id, primary: personName(a), secondary: a.email }))
        : [];
  const trigger = slash !== null ? `/${slash}` : mention !== null ? `@${mention.query}` : null;
  const pickerOpen = trigger !== null && trigger !== dismissed;
  const activeIndex = Math.min(active, suggestions.length - 1);

  const pick = (index: number) => {
    const chosen = suggestions[index];
    if (!chosen) return;
    const area = box.current;
    if (slash !== null) {
      const reply = replies.find((r) => r.id === chosen.id);
      if (!reply) return;
      const account = accounts?.find((a) => a.id === conversation.account_id);
      const filled = fillPlaceholders(reply.text, {
        contact_name: conversation.contact.name ?? contactName(conversation),
        agent_name: me.user ? personName(me.user) : "",
        number_name: account?.name ?? account?.display_name ?? account?.phone_number ?? conversation.account_id,
      });
      setText(filled);
      requestAnimationFrame(() => {
        area?.focus();
        area?.setSelectionRange(filled.length, filled.length);
      });
    } else if (mention !== null) {
      const next = insertMention(text, mention, chosen.primary);
      setText(next.text);
      setCaret(next.caret);
      setPicked([...picked.filter((p) => p.id !== chosen.id), { id: chosen.id, name: chosen.primary }]);
      requestAnimationFrame(() => {
        area?.focus();
        area?.setSelectionRange(next.caret, next.caret);
      });
    }
    setActive(0);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };
  const keyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (pickerOpen && !event.nativeEvent.isComposing) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        setActive(moveActive(activeIndex, suggestions.length, event.key));
        return;
      }
      if ((event.key === "Enter" || event.key === "Tab") && suggestions.length > 0 && !event.shiftKey) {
        event.preventDefault();
        pick(Math.max(activeIndex, 0));
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        setDismissed(trigger);
        return;
      }
    }
    if (sendsOnKey({ ...event, isComposing: event.nativeEvent.isComposing }, enterSends)) {
      event.preventDefault();
      send();
    }
  };

  const hint = note
    ? t("teamwork.note.hint")
    : !canSend
    ? t("composer.mayNotSend")
    : open && conversation.reply_window_closes_at
      ? t("composer.windowOpen", { time: closingTime(conversation.reply_window_closes_at, locale) })
      : conversation.last_inbound_at
        ? t("composer.windowClosed")
        : t("composer.noWindow");
  const writable = note ? mayNote : replyable;
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
    <div className={note ? "composer note-mode" : "composer"}>
      {mayNote && (
        <div className="composer-mode" role="group" aria-label={t("teamwork.mode")}>
          <button type="button" aria-pressed={!note} onClick={() => setMode("reply")}>
            {t("teamwork.mode.reply")}
          </button>
          <button type="button" aria-pressed={note} onClick={() => setMode("note")}>
            {t("teamwork.mode.note")}
          </button>
        </div>
      )}
      <p id={hintId} className={writable ? "composer-hint" : "composer-hint closed"}>
        {hint}
      </p>
      {fileProblem && !note && (
        <p className="form-error" role="alert">
          {fileProblem}
        </p>
      )}
      {note && addNote.error && (
        <p className="form-error" role="alert">
          {messageOf(addNote.error)}
        </p>
      )}
      {replyTo && !note && (
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
      {file && !note && (
        <p className="attachment">
          <span>{t("composer.attached", { name: file.file.name, kind: kindLabel(file.kind, t) })}</span>
          <button type="button" onClick={() => setFile(null)}>
            {t("composer.removeFile", { name: file.file.name })}
          </button>
        </p>
      )}
      <div className="composer-row">
        <form className="composer-form" onSubmit={submit}>
        {!note && (
          <label htmlFor={attachId} className={replyable && limits ? "attach" : "attach disabled"}>
            <input
              id={attachId}
              type="file"
              className="visually-hidden"
              accept={limits ? acceptedTypes(limits.media) : undefined}
              disabled={!replyable || !limits}
              onChange={choose}
            />
            {t("composer.attach")}
          </label>
        )}
        <div className="picker composer-box">
          {pickerOpen && (
            <SuggestionList
              id={listId}
              label={slash !== null ? t("teamwork.picker.label") : t("teamwork.note.mentions")}
              items={suggestions}
              active={activeIndex}
              empty={slash !== null ? t("teamwork.picker.none", { query: slash }) : t("teamwork.mention.none", { query: mention?.query ?? "" })}
              onPick={pick}
            />
          )}
          <label htmlFor={id} className="visually-hidden">
            {note ? t("teamwork.note.label") : t("composer.label")}
          </label>
          <textarea
            ref={box}
            id={id}
            rows={2}
            maxLength={note ? 10_000 : limits?.text}
            placeholder={
              note ? t("teamwork.note.placeholder") : replyable ? t(enterSends ? "composer.placeholder" : "composer.placeholderEnterNewLine") : undefined
            }
            aria-describedby={hintId}
            aria-autocomplete={mayNote || replyable ? "list" : undefined}
            aria-controls={pickerOpen ? listId : undefined}
            aria-activedescendant={pickerOpen && activeIndex >= 0 && suggestions.length > 0 ? optionId(listId, activeIndex) : undefined}
            disabled={!writable}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setCaret(e.target.selectionStart);
              setActive(0);
            }}
            onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
            onKeyDown={keyDown}
          />
        </div>
        <EmojiPicker disabled={!writable} onPick={insert} />
        <button type="submit" className="primary" disabled={!writable || (text.trim() === "" && (note || !file)) || (note && addNote.isPending)}>
          {note ? t("teamwork.note.add") : t("composer.send")}
        </button>
        </form>
        {canSend && limits && !note && <InteractiveBuilder limits={limits.interactive} disabled={!open} onSend={sendMessage} />}
        {canSend && !note && <TemplatePicker accountId={conversation.account_id} onSend={sendMessage} prominent={!open} />}
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
