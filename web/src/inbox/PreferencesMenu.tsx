import { useEffect, useId, useRef, useState } from "react";
import type { Me } from "../api/client";
import { useI18n } from "../i18n/i18n";
import type { Notifications } from "../live/useNotifications";
import { Preferences } from "../prefs/Preferences";
import { useVisibleNumbers } from "./AccountPicker";

/**
 * The top bar's "Preferences" button and the panel it opens: language, theme, the key that sends, and
 * which numbers notify this browser. Escape or a click elsewhere closes it.
 */
export function PreferencesMenu({ me, notifications }: { me: Me; notifications: Notifications }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const away = (event: PointerEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setOpen(false);
    };
    const escape = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
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
    <div className="preferences-menu" ref={root}>
      <button ref={button} type="button" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen(!open)}>
        {t("prefs.open")}
      </button>
      <div id={panelId} className="preferences-panel" hidden={!open} role="group" aria-label={t("prefs.open")}>
        <Preferences withComposer />
        {notifications.supported && <NotificationChoices me={me} notifications={notifications} />}
      </div>
    </div>
  );
}

/** One switch per number the user sees (a single switch when there is one number). */
function NotificationChoices({ me, notifications }: { me: Me; notifications: Notifications }) {
  const { t } = useI18n();
  const numbers = useVisibleNumbers(me);
  if (numbers.length === 0) return null;
  const all = numbers.map((n) => n.id);
  return (
    <fieldset className="notify-choices">
      <legend>{t("prefs.notifications")}</legend>
      {notifications.denied && <p className="form-error">{t("prefs.notifications.denied")}</p>}
      {numbers.map((n) => (
        <label key={n.id} className="inline">
          <input
            type="checkbox"
            checked={notifications.isOn(n.id)}
            disabled={notifications.denied}
            onChange={(e) => void notifications.setNumber(n.id, e.target.checked, all)}
          />
          {numbers.length === 1 ? t("prefs.notifications.one") : t("prefs.notifications.on", { number: n.label })}
        </label>
      ))}
    </fieldset>
  );
}
