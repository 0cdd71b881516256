import { useEffect, useId, useRef, useState } from "react";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";

/**
 * The emoji people use most in business chats, by group. Each is its own button whose name is the emoji
 * itself: screen readers say an emoji's name in the user's language, so no list of names is kept here.
 */
const GROUPS: readonly { key: MessageKey; emoji: readonly string[] }[] = [
  { key: "emoji.group.smileys", emoji: ["😀", "😃", "😄", "😁", "😆", "😅", "😂", "🙂", "😉", "😊", "😇", "😍", "😘", "😋", "😎", "🤔", "😐", "😮", "😢", "😭", "😡", "🥳", "😴", "🤗"] },
  { key: "emoji.group.gestures", emoji: ["👍", "👎", "👌", "✌️", "🤞", "👏", "🙌", "🙏", "💪", "👋", "🤝", "👀", "☝️", "👉"] },
  { key: "emoji.group.symbols", emoji: ["❤️", "🧡", "💛", "💚", "💙", "💜", "🖤", "💯", "✅", "❌", "⚠️", "⭐", "✨", "🔥", "🎉", "❓", "❗"] },
  { key: "emoji.group.things", emoji: ["⌚", "⏰", "📦", "🚚", "💰", "💳", "🧾", "📅", "📍", "📞", "📷", "🎁", "🛍️", "🏷️", "🔧", "🔑"] },
];

/** A button that opens a panel of emoji; picking one inserts it where the cursor is (`onPick`). */
export function EmojiPicker({ disabled, onPick }: { disabled: boolean; onPick: (emoji: string) => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    root.current?.querySelector<HTMLButtonElement>(".emoji-panel button")?.focus();
    const away = (event: PointerEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setOpen(false);
    };
    const escape = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener("pointerdown", away);
    document.addEventListener("keydown", escape);
    return () => {
      document.removeEventListener("pointerdown", away);
      document.removeEventListener("keydown", escape);
    };
  }, [open]);

  return (
    <div className="emoji-picker" ref={root}>
      <button
        ref={button}
        type="button"
        className="icon-button"
        aria-label={t("emoji.open")}
        aria-expanded={open}
        aria-controls={panelId}
        disabled={disabled}
        onClick={() => setOpen(!open)}
      >
        <span aria-hidden="true">🙂</span>
      </button>
      <div id={panelId} className="emoji-panel" role="dialog" aria-label={t("emoji.title")} hidden={!open}>
        {GROUPS.map((group) => (
          <div key={group.key} role="group" aria-label={t(group.key)} className="emoji-group">
            {group.emoji.map((emoji) => (
              <button
                key={emoji}
                type="button"
                onClick={() => {
                  onPick(emoji);
                  setOpen(false);
                }}
              >
                {emoji}
              </button>
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}
