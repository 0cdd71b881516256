import { useState, type FormEvent } from "react";
import { api, unwrap, type Schemas } from "../api/client";
import { keys } from "../api/queries";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import { groupPermissions, sortPermissions, validRoleName } from "./logic";
import { ConfirmButton, Field, FocusedHeading, FormError, FormFooter, permissionLabel, PermissionChecklist } from "./parts";
import { done, settingsKeys, useChange, usePermissionCatalogue, useRoles } from "./queries";

type Role = Schemas["Role"];

/** The roles and what each allows; create one, change what one allows, delete one nobody holds. */
export function RolesSection() {
  const { t } = useI18n();
  const roles = useRoles(true);
  const catalogue = usePermissionCatalogue();
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  if (roles.isError) return <ErrorNotice error={roles.error} onRetry={() => void roles.refetch()} />;
  if (catalogue.isError) return <ErrorNotice error={catalogue.error} onRetry={() => void catalogue.refetch()} />;
  if (!roles.data || !catalogue.data) return <p className="loading" role="status">{t("loading")}</p>;
  const all = sortPermissions(catalogue.data.map((p) => p.name));
  return (
    <section className="settings-section" aria-labelledby="roles-heading">
      <h3 id="roles-heading">{t("settings.section.roles")}</h3>
      {adding ? (
        <RoleForm all={all} onClose={() => setAdding(false)} />
      ) : (
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t("settings.roles.add")}
        </button>
      )}
      <ul className="settings-list">
        {roles.data.map((role) => (
          <li key={role.name} className="settings-item">
            {editing === role.name ? (
              <RoleForm all={all} role={role} onClose={() => setEditing(null)} />
            ) : (
              <RoleCard role={role} onEdit={() => setEditing(role.name)} />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function RoleCard({ role, onEdit }: { role: Role; onEdit: () => void }) {
  const { t } = useI18n();
  const remove = useChange(
    async () => done(await api.DELETE("/api/v1/roles/{name}", { params: { path: { name: role.name } } })),
    [settingsKeys.roles],
  );
  return (
    <article aria-label={role.name}>
      <h4>{role.name}</h4>
      <p className="muted">{t("settings.roles.holders", { count: role.users })}</p>
      {groupPermissions(role.permissions).map((group) => (
        <p key={group.id} className="role-permissions">
          <strong>{t(`settings.permissionGroup.${group.id}`)}:</strong> {group.permissions.map((p) => permissionLabel(t, p)).join(", ")}
        </p>
      ))}
      <div className="settings-actions">
        <button type="button" onClick={onEdit} aria-label={t("settings.roles.editOne", { role: role.name })}>
          {t("settings.edit")}
        </button>
        <ConfirmButton
          label={t("settings.roles.delete", { role: role.name })}
          title={t("settings.roles.deleteTitle", { role: role.name })}
          confirm={t("settings.roles.deleteConfirm")}
          onConfirm={() => remove.mutate()}
          disabled={role.users > 0 || remove.isPending}
        >
          <p>{t("settings.roles.deleteWarning")}</p>
        </ConfirmButton>
      </div>
      {role.users > 0 && <p className="hint">{t("settings.roles.inUse")}</p>}
      <FormError error={remove.error} />
    </article>
  );
}

/** Creates a role (no `role`) or replaces what one allows. */
function RoleForm({ all, role, onClose }: { all: string[]; role?: Role; onClose: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState(role?.name ?? "");
  const [permissions, setPermissions] = useState<string[]>(() => sortPermissions(role?.permissions ?? []));
  const [problem, setProblem] = useState<string | null>(null);
  const save = useChange(
    async (body: Schemas["NewRole"]) =>
      role
        ? unwrap(await api.PUT("/api/v1/roles/{name}", { params: { path: { name: role.name } }, body: { permissions: body.permissions } }))
        : unwrap(await api.POST("/api/v1/roles", { body })),
    [settingsKeys.roles, keys.users, keys.me],
    onClose,
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!role && !validRoleName(name)) return setProblem(t("settings.roles.badName"));
    if (permissions.length === 0) return setProblem(t("settings.roles.nonePicked"));
    setProblem(null);
    save.mutate({ name, permissions });
  };
  const title = role ? t("settings.roles.editTitle", { role: role.name }) : t("settings.roles.add");
  return (
    <form className="settings-form" onSubmit={submit} aria-label={title}>
      <FocusedHeading>{title}</FocusedHeading>
      {!role && (
        <Field label={t("settings.roles.name")} hint={t("settings.roles.nameRule")}>
          {(field) => (
            <input required maxLength={40} {...field} value={name} onChange={(e) => setName(e.target.value)} />
          )}
        </Field>
      )}
      <PermissionChecklist legend={t("settings.roles.permissions")} choices={all} value={permissions} onChange={setPermissions} />
      <FormFooter problem={problem} change={save} submit={role ? t("settings.save") : t("settings.roles.create")} onCancel={onClose} />
    </form>
  );
}
