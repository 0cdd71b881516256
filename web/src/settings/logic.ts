import type { Account, Me, Schemas } from "../api/client";
import { may } from "../api/queries";

/**
 * The settings' logic without React: which sections the caller may open, permissions grouped for
 * people, and the forms' state turned into the API's bodies and back.
 */

export type Grant = Schemas["Grant"];
export type Override = Schemas["Override"];
export type PermissionInfo = Schemas["PermissionInfo"];

export const SECTIONS = ["numbers", "users", "roles", "teams", "labels", "replies", "tokens", "account"] as const;
export type Section = (typeof SECTIONS)[number];

export function isSection(value: string | null): value is Section {
  return value !== null && (SECTIONS as readonly string[]).includes(value);
}

/** The sections the caller may use, in the order of the list. Each follows the permission its API needs. */
export function sectionsFor(me: Me): Section[] {
  return SECTIONS.filter((section) => {
    switch (section) {
      case "numbers":
        return may(me, "accounts.manage");
      case "users":
        return may(me, "users.manage");
      case "roles":
        return may(me, "roles.manage");
      case "teams":
        return may(me, "teams.manage");
      case "labels":
        return may(me, "labels.manage");
      case "replies":
        return may(me, "replies.manage");
      case "tokens":
        return true;
      case "account":
        return me.user != null;
    }
  });
}

/** Adding a number needs `accounts.manage` on every number there is (the server checks it install-wide). */
export function mayAddNumber(me: Me, accounts: readonly Pick<Account, "id">[]): boolean {
  if (me.authenticated_by === "operator") return true;
  return accounts.length > 0 && accounts.every((a) => may(me, "accounts.manage", a.id));
}

/** Groups of permissions as an admin thinks of them; a permission the app does not know goes last. */
export const PERMISSION_GROUPS = [
  { id: "conversations", permissions: ["conversations.view", "conversations.manage", "messages.view", "messages.send", "contacts.view", "search.use"] },
  { id: "teamwork", permissions: ["conversations.assign", "teams.manage", "labels.manage", "replies.manage"] },
  { id: "numbers", permissions: ["accounts.view", "accounts.manage", "accounts.assign", "templates.manage", "bot.manage"] },
  { id: "oversight", permissions: ["audit.view", "analytics.view"] },
  { id: "administration", permissions: ["users.manage", "roles.manage", "settings.manage"] },
] as const;

export type GroupId = (typeof PERMISSION_GROUPS)[number]["id"] | "other";
export const KNOWN_PERMISSIONS: readonly string[] = PERMISSION_GROUPS.flatMap((g) => g.permissions);

/** `names` in the groups' order, each group with only the permissions present; empty groups left out. */
export function groupPermissions(names: readonly string[]): { id: GroupId; permissions: string[] }[] {
  const present = new Set(names);
  const groups: { id: GroupId; permissions: string[] }[] = PERMISSION_GROUPS.map((g) => ({
    id: g.id,
    permissions: g.permissions.filter((p) => present.has(p)),
  }));
  groups.push({ id: "other", permissions: [...present].filter((p) => !KNOWN_PERMISSIONS.includes(p)).sort() });
  return groups.filter((g) => g.permissions.length > 0);
}

/** Sorts permissions in the groups' order, so lists read the same everywhere. */
export function sortPermissions(names: readonly string[]): string[] {
  return groupPermissions(names).flatMap((g) => g.permissions);
}

/** Every permission the caller holds somewhere: what a token of theirs may hold. */
export function heldPermissions(me: Me, catalogue: readonly string[]): string[] {
  return sortPermissions(catalogue.filter((p) => may(me, p)));
}

/** "" in a scope select means the whole install (every number). */
export const EVERYWHERE = "";

export interface GrantRow {
  role: string;
  account: string;
}

export interface OverrideRow {
  permission: string;
  effect: "allow" | "deny";
  account: string;
}

export function grantsToRows(grants: readonly Grant[]): GrantRow[] {
  return grants.map((g) => ({ role: g.role, account: g.account ?? EVERYWHERE }));
}

/** The rows as the API's grants: unfinished rows dropped, each grant once. */
export function rowsToGrants(rows: readonly GrantRow[]): Grant[] {
  const seen = new Set<string>();
  const grants: Grant[] = [];
  for (const row of rows) {
    if (row.role === "") continue;
    const key = `${row.role}\n${row.account}`;
    if (seen.has(key)) continue;
    seen.add(key);
    grants.push(row.account === EVERYWHERE ? { role: row.role } : { role: row.role, account: row.account });
  }
  return grants;
}

export function overridesToRows(overrides: readonly Override[]): OverrideRow[] {
  return overrides.map((o) => ({
    permission: o.permission,
    effect: o.effect === "deny" ? "deny" : "allow",
    account: o.account ?? EVERYWHERE,
  }));
}

/**
 * The rows as the API's overrides: unfinished rows dropped; an install-wide permission never on one
 * number (the server refuses that); for one permission and scope the last row wins.
 */
export function rowsToOverrides(rows: readonly OverrideRow[], catalogue: readonly PermissionInfo[]): Override[] {
  const scoped = new Map(catalogue.map((p) => [p.name, p.account_scoped]));
  const byKey = new Map<string, Override>();
  for (const row of rows) {
    if (row.permission === "") continue;
    const account = scoped.get(row.permission) === false ? EVERYWHERE : row.account;
    const override: Override =
      account === EVERYWHERE
        ? { permission: row.permission, effect: row.effect }
        : { permission: row.permission, effect: row.effect, account };
    const key = `${row.permission}\n${account}`;
    byKey.delete(key);
    byKey.set(key, override);
  }
  return [...byKey.values()];
}

/** The server's rules for a new password, checked before sending: the message key, or null when fine. */
export function passwordProblem(password: string): "tooShort" | "tooLong" | "repeated" | null {
  if ([...password].length < 10) return "tooShort";
  if (new TextEncoder().encode(password).length > 512) return "tooLong";
  if ([...password].every((c) => c === password[0])) return "repeated";
  return null;
}

/** Role names as the server accepts them. */
export function validRoleName(name: string): boolean {
  return /^[a-z0-9_-]{1,40}$/.test(name);
}

/** Meta's phone-number ids: up to 32 digits. */
export function validPhoneNumberId(id: string): boolean {
  return /^[0-9]{1,32}$/.test(id);
}

export interface NumberForm {
  phone_number_id: string;
  name: string;
  phone_number: string;
  meta_app_id: string;
  business_account_id: string;
  access_token: string;
  verify_token: string;
  app_secret: string;
}

export const PLAIN_FIELDS = ["name", "phone_number", "meta_app_id", "business_account_id"] as const;
export const SECRET_FIELDS = ["access_token", "verify_token", "app_secret"] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

export const SECRET_SET: Record<SecretField, "has_access_token" | "has_verify_token" | "has_app_secret"> = {
  access_token: "has_access_token",
  verify_token: "has_verify_token",
  app_secret: "has_app_secret",
};

/** The form for a number: its settings filled in, the secrets always blank (they are write-only). */
export function numberForm(account?: Account): NumberForm {
  return {
    phone_number_id: account?.id ?? "",
    name: account?.name ?? "",
    phone_number: account?.phone_number ?? "",
    meta_app_id: account?.meta_app_id ?? "",
    business_account_id: account?.business_account_id ?? "",
    access_token: "",
    verify_token: "",
    app_secret: "",
  };
}

/** A new number: blank fields left out. */
export function newNumberBody(form: NumberForm): Schemas["NewAccount"] {
  const body: Schemas["NewAccount"] = { phone_number_id: form.phone_number_id.trim() };
  for (const field of PLAIN_FIELDS) if (form[field].trim() !== "") body[field] = form[field].trim();
  for (const field of SECRET_FIELDS) if (form[field] !== "") body[field] = form[field];
  return body;
}

/**
 * A change to a number: only what changed. A cleared setting is sent as "" (the API removes it); a blank
 * secret keeps the stored one, a filled one replaces it.
 */
export function numberPatch(account: Account, form: NumberForm): Schemas["AccountSettings"] {
  const before = numberForm(account);
  const body: Schemas["AccountSettings"] = {};
  for (const field of PLAIN_FIELDS) {
    const value = form[field].trim();
    if (value !== before[field]) body[field] = value;
  }
  for (const field of SECRET_FIELDS) if (form[field] !== "") body[field] = form[field];
  return body;
}

export interface TokenForm {
  name: string;
  /** Days as typed; blank: the server's default. */
  days: string;
  /** null: every permission the caller holds. */
  permissions: string[] | null;
  /** null: every number the caller may reach. */
  accounts: string[] | null;
}

export const TOKEN_MAX_DAYS = 3650;
export const TOKEN_DEFAULT_DAYS = 90;

/** Why the token form cannot be sent yet (a message key), or null. */
export function tokenProblem(form: TokenForm): "name" | "days" | "permissions" | "accounts" | null {
  const name = form.name.trim();
  if (name === "" || name.length > 100) return "name";
  if (form.days.trim() !== "") {
    const days = Number(form.days);
    if (!Number.isInteger(days) || days < 1 || days > TOKEN_MAX_DAYS) return "days";
  }
  if (form.permissions !== null && form.permissions.length === 0) return "permissions";
  if (form.accounts !== null && form.accounts.length === 0) return "accounts";
  return null;
}

export function tokenBody(form: TokenForm, held: readonly string[]): Schemas["NewApiToken"] {
  const body: Schemas["NewApiToken"] = { name: form.name.trim(), permissions: sortPermissions(form.permissions ?? held) };
  if (form.days.trim() !== "") body.expires_in_days = Number(form.days);
  if (form.accounts !== null) body.accounts = [...form.accounts].sort();
  return body;
}

/** Toggles one permission in a list kept in the groups' order. */
export function toggle(list: readonly string[], permission: string, on: boolean): string[] {
  const rest = list.filter((p) => p !== permission);
  return sortPermissions(on ? [...rest, permission] : rest);
}
