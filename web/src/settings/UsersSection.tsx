import { useState, type FormEvent } from "react";
import { api, unwrap, type Account, type Me, type Schemas } from "../api/client";
import { keys, may, useAccounts, useUsers } from "../api/queries";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import {
  EVERYWHERE,
  grantsToRows,
  overridesToRows,
  passwordProblem,
  rowsToGrants,
  rowsToOverrides,
  sortPermissions,
  type Grant,
  type GrantRow,
  type OverrideRow,
  type PermissionInfo,
} from "./logic";
import { ConfirmButton, Field, FocusedHeading, FormError, FormFooter, numberLabel, permissionLabel, ScopeSelect } from "./parts";
import { settingsKeys, useChange, usePermissionCatalogue, useRoles } from "./queries";

type User = Schemas["User"];

/** What the user forms need to offer: the roles, the numbers, the permission catalogue. */
interface Choices {
  roles: string[];
  accountIds: string[];
  accounts: Account[] | undefined;
  catalogue: PermissionInfo[];
}

/** The users: their roles and status; create one, disable or enable one, change their roles and overrides. */
export function UsersSection({ me }: { me: Me }) {
  const { t } = useI18n();
  const users = useUsers(true);
  const roles = useRoles(may(me, "roles.manage"));
  const accounts = useAccounts(may(me, "accounts.view"));
  const catalogue = usePermissionCatalogue();
  const [open, setOpen] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  if (users.isError) return <ErrorNotice error={users.error} onRetry={() => void users.refetch()} />;
  if (catalogue.isError) return <ErrorNotice error={catalogue.error} onRetry={() => void catalogue.refetch()} />;
  if (!users.data || !catalogue.data) return <p className="loading" role="status">{t("loading")}</p>;
  // Without roles.manage the role list is unreadable: the roles users already hold are what can be given.
  const roleNames = roles.data?.map((r) => r.name) ?? [...new Set(users.data.flatMap((u) => u.roles.map((g) => g.role)))].sort();
  const choices: Choices = {
    roles: roleNames,
    accountIds: accounts.data?.map((a) => a.id) ?? me.accounts.map((a) => a.account_id),
    accounts: accounts.data,
    catalogue: catalogue.data,
  };
  return (
    <section className="settings-section" aria-labelledby="users-heading">
      <h3 id="users-heading">{t("settings.section.users")}</h3>
      {adding ? (
        <NewUserForm choices={choices} onClose={() => setAdding(false)} />
      ) : (
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t("settings.users.add")}
        </button>
      )}
      <ul className="settings-list">
        {users.data.map((user) => (
          <li key={user.id} className="settings-item">
            <UserCard
              user={user}
              me={me}
              choices={choices}
              open={open === user.id}
              onToggle={() => setOpen(open === user.id ? null : user.id)}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}

function grantText(grant: Grant, accounts: Account[] | undefined, t: ReturnType<typeof useI18n>["t"]): string {
  return grant.account
    ? t("settings.users.grantOn", { role: grant.role, number: numberLabel(grant.account, accounts) })
    : t("settings.users.grantEverywhere", { role: grant.role });
}

function UserCard({
  user,
  me,
  choices,
  open,
  onToggle,
}: {
  user: User;
  me: Me;
  choices: Choices;
  open: boolean;
  onToggle: () => void;
}) {
  const { t } = useI18n();
  const who = user.name ?? user.email;
  const setStatus = useChange(
    async (active: boolean) =>
      unwrap(await api.PUT("/api/v1/users/{id}/status", { params: { path: { id: user.id } }, body: { active } })),
    [keys.users, settingsKeys.tokens],
  );
  const self = me.user?.id === user.id;
  return (
    <article aria-label={who}>
      <h4>
        {who} {!user.active && <span className="badge">{t("settings.users.disabled")}</span>}
      </h4>
      <dl className="settings-facts">
        <dt>{t("settings.users.email")}</dt>
        <dd>{user.email}</dd>
        <dt>{t("settings.users.status")}</dt>
        <dd>{user.active ? t("settings.users.active") : t("settings.users.disabled")}</dd>
        <dt>{t("settings.users.roles")}</dt>
        <dd>{user.roles.length === 0 ? t("settings.users.noRole") : user.roles.map((g) => grantText(g, choices.accounts, t)).join(", ")}</dd>
        {user.overrides.length > 0 && (
          <>
            <dt>{t("settings.users.overrides")}</dt>
            <dd>{user.overrides.map((o) => overrideText(o, choices.accounts, t)).join(", ")}</dd>
          </>
        )}
      </dl>
      <div className="settings-actions">
        <button type="button" aria-expanded={open} onClick={onToggle}>
          {t("settings.users.manage", { who })}
        </button>
        {user.active ? (
          <ConfirmButton
            label={t("settings.users.disable", { who })}
            title={t("settings.users.disableTitle", { who })}
            confirm={t("settings.users.disableConfirm")}
            onConfirm={() => setStatus.mutate(false)}
            disabled={self || setStatus.isPending}
          >
            <p>{t("settings.users.disableWarning")}</p>
          </ConfirmButton>
        ) : (
          <ConfirmButton
            label={t("settings.users.enable", { who })}
            title={t("settings.users.enableTitle", { who })}
            confirm={t("settings.users.enableConfirm")}
            onConfirm={() => setStatus.mutate(true)}
            disabled={setStatus.isPending}
          >
            <p>{t("settings.users.enableWarning")}</p>
          </ConfirmButton>
        )}
      </div>
      {self && <p className="hint">{t("settings.users.notSelf")}</p>}
      <FormError error={setStatus.error} />
      {open && (
        <div className="user-editors">
          <RolesEditor user={user} choices={choices} />
          <OverridesEditor user={user} choices={choices} />
        </div>
      )}
    </article>
  );
}

function overrideText(o: Schemas["Override"], accounts: Account[] | undefined, t: ReturnType<typeof useI18n>["t"]): string {
  const what = permissionLabel(t, o.permission);
  const where = o.account ? numberLabel(o.account, accounts) : t("settings.scope.everywhere");
  return t(o.effect === "deny" ? "settings.users.denied" : "settings.users.allowed", { what, where });
}

function NewUserForm({ choices, onClose }: { choices: Choices; onClose: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState("");
  const [account, setAccount] = useState(EVERYWHERE);
  const [problem, setProblem] = useState<string | null>(null);
  const create = useChange(
    async (body: Schemas["NewUser"]) => unwrap(await api.POST("/api/v1/users", { body })),
    [keys.users, settingsKeys.roles],
    onClose,
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const weak = passwordProblem(password);
    if (weak) {
      setProblem(t(`settings.password.${weak}`));
      return;
    }
    setProblem(null);
    create.mutate({
      email: email.trim(),
      name: name.trim() === "" ? undefined : name.trim(),
      password,
      roles: rowsToGrants([{ role, account }]),
    });
  };
  return (
    <form className="settings-form" onSubmit={submit} aria-label={t("settings.users.add")}>
      <FocusedHeading>{t("settings.users.add")}</FocusedHeading>
      <label>
        <span className="field-label">{t("settings.users.name")}</span>
        <input value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        <span className="field-label">{t("settings.users.email")}</span>
        <input type="email" required autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <Field label={t("settings.users.password")} hint={t("settings.password.rules")}>
        {(field) => (
          <input
            type="password"
            required
            autoComplete="new-password"
            {...field}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
      <Field label={t("settings.users.role")}>
        {(field) => (
          <select {...field} value={role} onChange={(e) => setRole(e.target.value)}>
            <option value="">{t("settings.users.noRole")}</option>
            {choices.roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        )}
      </Field>
      <ScopeSelect label={t("settings.users.roleWhere")} value={account} onChange={setAccount} ids={choices.accountIds} accounts={choices.accounts} />
      <FormFooter problem={problem} change={create} submit={t("settings.users.create")} onCancel={onClose} />
    </form>
  );
}

/** The user's roles, each everywhere or on one number, replaced together. */
function RolesEditor({ user, choices }: { user: User; choices: Choices }) {
  const { t } = useI18n();
  const [rows, setRows] = useState<GrantRow[]>(() => grantsToRows(user.roles));
  const [saved, setSaved] = useState(false);
  const save = useChange(
    async (roles: Grant[]) =>
      unwrap(await api.PUT("/api/v1/users/{id}/roles", { params: { path: { id: user.id } }, body: { roles } })),
    [keys.users, settingsKeys.roles, keys.me],
    () => setSaved(true),
  );
  const update = (i: number, row: GrantRow) => {
    setSaved(false);
    setRows(rows.map((r, j) => (j === i ? row : r)));
  };
  const who = user.name ?? user.email;
  return (
    <form
      className="settings-form"
      aria-label={t("settings.users.rolesOf", { who })}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(rowsToGrants(rows));
      }}
    >
      <h5>{t("settings.users.rolesOf", { who })}</h5>
      {rows.length === 0 && <p className="muted">{t("settings.users.noRole")}</p>}
      {rows.map((row, i) => (
        <fieldset key={i} className="settings-row">
          <legend className="visually-hidden">{t("settings.users.roleN", { n: i + 1 })}</legend>
          <Field label={t("settings.users.role")}>
            {(field) => (
              <select {...field} value={row.role} onChange={(e) => update(i, { ...row, role: e.target.value })}>
                <option value="">{t("settings.users.pickRole")}</option>
                {[...new Set([...choices.roles, row.role])].filter((r) => r !== "").map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <ScopeSelect
            label={t("settings.users.roleWhere")}
            value={row.account}
            onChange={(account) => update(i, { ...row, account })}
            ids={choices.accountIds}
            accounts={choices.accounts}
          />
          <button type="button" onClick={() => { setSaved(false); setRows(rows.filter((_, j) => j !== i)); }}>
            {t("settings.users.removeRoleN", { n: i + 1 })}
          </button>
        </fieldset>
      ))}
      <FormError error={save.error} />
      {saved && <p role="status">{t("settings.saved")}</p>}
      <div className="settings-actions">
        <button type="button" onClick={() => setRows([...rows, { role: "", account: EVERYWHERE }])}>
          {t("settings.users.addRole")}
        </button>
        <button type="submit" className="primary" disabled={save.isPending}>
          {t("settings.users.saveRoles")}
        </button>
      </div>
    </form>
  );
}

/** Exceptions for this user alone: a permission allowed or denied, everywhere or on one number. */
function OverridesEditor({ user, choices }: { user: User; choices: Choices }) {
  const { t } = useI18n();
  const [rows, setRows] = useState<OverrideRow[]>(() => overridesToRows(user.overrides));
  const [saved, setSaved] = useState(false);
  const save = useChange(
    async (overrides: Schemas["Override"][]) =>
      unwrap(await api.PUT("/api/v1/users/{id}/overrides", { params: { path: { id: user.id } }, body: { overrides } })),
    [keys.users, keys.me],
    () => setSaved(true),
  );
  const scoped = new Map(choices.catalogue.map((p) => [p.name, p.account_scoped]));
  const permissions = sortPermissions(choices.catalogue.map((p) => p.name));
  const update = (i: number, row: OverrideRow) => {
    setSaved(false);
    setRows(rows.map((r, j) => (j === i ? row : r)));
  };
  const who = user.name ?? user.email;
  return (
    <form
      className="settings-form"
      aria-label={t("settings.users.overridesOf", { who })}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(rowsToOverrides(rows, choices.catalogue));
      }}
    >
      <h5>{t("settings.users.overridesOf", { who })}</h5>
      <p className="hint">{t("settings.users.overridesHint")}</p>
      {rows.map((row, i) => (
        <fieldset key={i} className="settings-row">
          <legend className="visually-hidden">{t("settings.users.overrideN", { n: i + 1 })}</legend>
          <Field label={t("settings.users.permission")}>
            {(field) => (
              <select {...field} value={row.permission} onChange={(e) => update(i, { ...row, permission: e.target.value })}>
                <option value="">{t("settings.users.pickPermission")}</option>
                {permissions.map((p) => (
                  <option key={p} value={p}>
                    {permissionLabel(t, p)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t("settings.users.effect")}>
            {(field) => (
              <select
                {...field}
                value={row.effect}
                onChange={(e) => update(i, { ...row, effect: e.target.value === "deny" ? "deny" : "allow" })}
              >
                <option value="allow">{t("settings.users.allow")}</option>
                <option value="deny">{t("settings.users.deny")}</option>
              </select>
            )}
          </Field>
          <ScopeSelect
            label={t("settings.users.overrideWhere")}
            value={row.account}
            onChange={(account) => update(i, { ...row, account })}
            ids={choices.accountIds}
            accounts={choices.accounts}
            everywhereOnly={scoped.get(row.permission) === false}
          />
          <button type="button" onClick={() => { setSaved(false); setRows(rows.filter((_, j) => j !== i)); }}>
            {t("settings.users.removeOverrideN", { n: i + 1 })}
          </button>
        </fieldset>
      ))}
      <FormError error={save.error} />
      {saved && <p role="status">{t("settings.saved")}</p>}
      <div className="settings-actions">
        <button type="button" onClick={() => setRows([...rows, { permission: "", effect: "allow", account: EVERYWHERE }])}>
          {t("settings.users.addOverride")}
        </button>
        <button type="submit" className="primary" disabled={save.isPending}>
          {t("settings.users.saveOverrides")}
        </button>
      </div>
    </form>
  );
}
