import { useId } from "react";
import type { Account, Me } from "../api/client";
import { may, useAccounts } from "../api/queries";
import { useI18n } from "../i18n/i18n";

function label(account: Account): string {
  const name = account.name ?? account.display_name;
  const number = account.phone_number ?? account.id;
  return name ? `${name} (${number})` : number;
}

/** The numbers whose conversations the caller may see, named for people (the account list needs `accounts.view`). */
export function useVisibleNumbers(me: Me): { id: string; label: string }[] {
  const accounts = useAccounts(may(me, "accounts.view"));
  const visible = new Set(
    me.accounts.filter((a) => a.permissions.includes("conversations.view")).map((a) => a.account_id),
  );
  return accounts.data
    ? accounts.data
        .filter((a) => me.authenticated_by === "operator" || visible.has(a.id))
        .map((a) => ({ id: a.id, label: label(a) }))
    : [...visible].map((a) => ({ id: a, label: a }));
}

/** Which business number's conversations to show; the numbers are those the caller may see. */
export function AccountPicker({
  me,
  value,
  onChange,
}: {
  me: Me;
  value: string | null;
  onChange: (account: string | null) => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const options = useVisibleNumbers(me);
  if (options.length <= 1 && value === null) return null;
  return (
    <div className="account-picker">
      <label htmlFor={id}>{t("inbox.accounts")}</label>
      <select id={id} value={value ?? ""} onChange={(e) => onChange(e.target.value === "" ? null : e.target.value)}>
        <option value="">{t("inbox.allAccounts")}</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}
