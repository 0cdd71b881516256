import { useEffect, useId, useRef, useState, type ReactNode, type RefObject } from "react";
import { messageOf } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import { adviceFor, type Said } from "./meta";

/** A Graph call under way: Meta can take seconds, so the wait is said. */
export function AskingMeta() {
  const { t } = useI18n();
  return (
    <p className="loading numbers-loading" role="status">
      {t("numbers.asking")}
    </p>
  );
}

/** A failed call in words: what the server (or Meta through it) said, and what to do about it. */
export function MetaErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const reason = error instanceof TypeError ? t("error.network") : messageOf(error);
  return (
    <div className="numbers-error" role="alert">
      <p>{t("numbers.failed", { reason })}</p>
      <p>{t(adviceFor(error))}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t("retry")}
        </button>
      )}
    </div>
  );
}

/** A status in words, coloured by its tone with a shape beside it: never colour alone. */
export function ToneText({ said, children }: { said: Said | null; children?: ReactNode }) {
  const { t } = useI18n();
  if (!said) return <span className="muted">{t("numbers.unknown")}</span>;
  return (
    <span className={`numbers-tone tone-${said.tone}`}>
      <span className="tone-mark" aria-hidden="true" />
      {said.key ? t(said.key) : said.raw}
      {children}
    </span>
  );
}

/** One line of a fact list; nothing when the value is missing. */
export function Fact({ label, children }: { label: string; children: ReactNode }) {
  if (children === null || children === undefined || children === "") return null;
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

/**
 * Asks before something that cannot be undone: a modal dialog (Escape or Cancel closes it, focus returns
 * to the button that opened it). Shown while `open`.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  actions,
  onClose,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  actions: ReactNode;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);
  return (
    <dialog ref={dialog} className="app-dialog" aria-labelledby={titleId} onClose={onClose}>
      <h2 id={titleId}>{title}</h2>
      {open && (
        <>
          {children}
          <div className="dialog-actions">
            <button type="button" onClick={onClose}>
              {t("numbers.cancel")}
            </button>
            {actions}
          </div>
        </>
      )}
    </dialog>
  );
}

/** The problem of one form field, tied to it by `aria-describedby`. */
export function FieldError({ id, text }: { id: string; text: string | null }) {
  if (!text) return null;
  return (
    <span id={id} className="form-error numbers-field-error">
      {text}
    </span>
  );
}

/**
 * After a refused submit, moves focus to the first field with a problem once it is marked; call the
 * returned function on each refused submit.
 */
export function useFocusFirstProblem(form: RefObject<HTMLFormElement | null>): () => void {
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (attempt > 0) form.current?.querySelector<HTMLElement>("[aria-invalid='true']")?.focus();
  }, [attempt, form]);
  return () => setAttempt((n) => n + 1);
}

/**
 * Gives focus back to a button once it is shown again (after a form it opened closes), so keyboard users
 * are not left at the top of the page. Call the returned function as the form closes.
 */
export function useFocusReturn(button: RefObject<HTMLButtonElement | null>, shown: boolean): () => void {
  const pending = useRef(false);
  useEffect(() => {
    if (shown && pending.current) {
      pending.current = false;
      button.current?.focus();
    }
  }, [shown, button]);
  return () => {
    pending.current = true;
  };
}
