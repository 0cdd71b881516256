import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import type { Account } from "../api/client";
import { messageOf } from "../ErrorNotice";
import { useI18n, type Translate } from "../i18n/i18n";
import type { MessageKey } from "../i18n/en";
import { EVERYWHERE, groupPermissions, KNOWN_PERMISSIONS, toggle } from "./logic";

/** A permission in words; one the app does not know yet by its wire name. */
export function permissionLabel(t: Translate, permission: string): string {
  return KNOWN_PERMISSIONS.includes(permission) ? t(`settings.permission.${permission}` as MessageKey) : permission;
}

/** A number as people know it: its name and number, else Meta's id. */
export function numberLabel(id: string, accounts: readonly Account[] | undefined): string {
  const a = accounts?.find((x) => x.id === id);
  if (!a) return id;
  const name = a.name ?? a.display_name;
  const number = a.phone_number ?? a.id;
  return name ? `${name} (${number})` : number;
}

/** A refused or failed change, in words, next to its form. */
export function FormError({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="form-error" role="alert">
      {messageOf(error)}
    </p>
  );
}

/**
 * The end of a settings form: what the form itself found wrong (`problem`), the server's refusal of the
 * change, and its submit and cancel buttons, both disabled while the change is under way.
 */
export function FormFooter({
  problem,
  change,
  submit,
  onCancel,
}: {
  problem: string | null;
  change: { error: unknown; isPending: boolean };
  submit: string;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  return (
    <>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      <FormError error={change.error} />
      <div className="settings-actions">
        <button type="submit" className="primary" disabled={change.isPending}>
          {submit}
        </button>
        <button type="button" onClick={onCancel} disabled={change.isPending}>
          {t("settings.cancel")}
        </button>
      </div>
    </>
  );
}

/**
 * Checkboxes for permissions, grouped under their headings. `choices` are the permissions offered;
 * `value` those ticked.
 */
export function PermissionChecklist({
  legend,
  choices,
  value,
  onChange,
  disabled,
}: {
  legend: string;
  choices: readonly string[];
  value: readonly string[];
  onChange: (value: string[]) => void;
  disabled?: boolean;
}) {
  const { t } = useI18n();
  return (
    <fieldset className="permission-checklist" disabled={disabled}>
      <legend>{legend}</legend>
      {groupPermissions(choices).map((group) => (
        <fieldset key={group.id} className="permission-group">
          <legend>{t(`settings.permissionGroup.${group.id}`)}</legend>
          {group.permissions.map((p) => (
            <label key={p}>
              <input
                type="checkbox"
                checked={value.includes(p)}
                onChange={(e) => onChange(toggle(value, p, e.target.checked))}
              />
              {permissionLabel(t, p)}
            </label>
          ))}
        </fieldset>
      ))}
    </fieldset>
  );
}

/** Where a grant applies: every number, or one of them. */
export function ScopeSelect({
  label,
  value,
  onChange,
  ids,
  accounts,
  everywhereOnly,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  ids: readonly string[];
  accounts: readonly Account[] | undefined;
  everywhereOnly?: boolean;
}) {
  const { t } = useI18n();
  return (
    <Field label={label}>
      {(field) => (
        <select {...field} value={everywhereOnly ? EVERYWHERE : value} disabled={everywhereOnly} onChange={(e) => onChange(e.target.value)}>
          <option value={EVERYWHERE}>{t("settings.scope.everywhere")}</option>
          {ids.map((id) => (
            <option key={id} value={id}>
              {numberLabel(id, accounts)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * A button for something hard to undo: it asks first, in a modal dialog that says what will happen.
 * Escape or Cancel leaves everything as it was.
 */
export function ConfirmButton({
  label,
  title,
  children,
  confirm,
  onConfirm,
  disabled,
  className,
}: {
  label: string;
  title: string;
  children: ReactNode;
  confirm: string;
  onConfirm: () => void;
  disabled?: boolean;
  className?: string;
}) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className={className}
        disabled={disabled}
        onClick={() => {
          setOpen(true);
          dialog.current?.showModal();
        }}
      >
        {label}
      </button>
      <dialog ref={dialog} className="app-dialog" aria-labelledby={titleId} onClose={() => setOpen(false)}>
        {open && (
          <>
            <h2 id={titleId}>{title}</h2>
            <div className="confirm-body">{children}</div>
            <div className="dialog-actions">
              <button type="button" onClick={() => dialog.current?.close()}>
                {t("settings.cancel")}
              </button>
              <button
                type="button"
                className="danger"
                onClick={() => {
                  dialog.current?.close();
                  onConfirm();
                }}
              >
                {confirm}
              </button>
            </div>
          </>
        )}
      </dialog>
    </>
  );
}

/** A date and time in the reader's language. */
export function When({ at }: { at: string | null | undefined }) {
  const { locale, t } = useI18n();
  if (!at) return <>{t("settings.never")}</>;
  const date = new Date(at);
  return <time dateTime={at}>{date.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" })}</time>;
}

/**
 * A labelled field with an optional hint the control is described by (not named by). The label points at
 * the control rather than wrapping it, so a select is named by its label alone, not also by its choice.
 */
export function Field({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: string;
  children: (field: { id: string; "aria-describedby"?: string }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      {children({ id, "aria-describedby": hint ? hintId : undefined })}
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/**
 * The heading of a form or panel that opened in place of the button pressed: it takes the focus, so
 * the keyboard and screen readers carry on from there instead of from the top of the page.
 */
export function FocusedHeading({ id, children }: { id?: string; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <h4 id={id} ref={heading} tabIndex={-1}>
      {children}
    </h4>
  );
}
