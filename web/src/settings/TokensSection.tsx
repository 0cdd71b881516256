import { useId, useState, type FormEvent } from "react";
import { api, unwrap, type Account, type Me, type Schemas } from "../api/client";
import { may, useAccounts, useUsers } from "../api/queries";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import { heldPermissions, TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS, tokenBody, tokenProblem, type TokenForm } from "./logic";
import { ConfirmButton, Field, FocusedHeading, FormError, numberLabel, permissionLabel, PermissionChecklist, When } from "./parts";
import { done, settingsKeys, useApiTokens, useChange, usePermissionCatalogue } from "./queries";

type ApiToken = Schemas["ApiToken"];

/** API tokens: the caller's (everyone's for those who manage users); create one, shown once; revoke one. */
export function TokensSection({ me }: { me: Me }) {
  const { t } = useI18n();
  const tokens = useApiTokens();
  const everyone = may(me, "users.manage");
  const users = useUsers(everyone);
  const numbers = useAccounts(may(me, "accounts.view"));
  const [created, setCreated] = useState<Schemas["ApiTokenCreated"] | null>(null);
  // Only a person signed in creates tokens; a token cannot make another.
  const canCreate = me.user != null && (me.authenticated_by === "session" || me.authenticated_by === "external");
  if (tokens.isError) return <ErrorNotice error={tokens.error} onRetry={() => void tokens.refetch()} />;
  const ownerOf = (id: string) => {
    const user = users.data?.find((u) => u.id === id);
    return user ? (user.name ?? user.email) : id;
  };
  return (
    <section className="settings-section" aria-labelledby="tokens-heading">
      <h3 id="tokens-heading">{t("settings.section.tokens")}</h3>
      <p className="muted">{t(everyone ? "settings.tokens.introAll" : "settings.tokens.intro")}</p>
      {created ? (
        <NewTokenShown created={created} onDone={() => setCreated(null)} />
      ) : canCreate ? (
        <NewTokenForm me={me} onCreated={setCreated} />
      ) : (
        <p className="hint">{t("settings.tokens.signInToCreate")}</p>
      )}
      {!tokens.data ? (
        <p className="loading" role="status">{t("loading")}</p>
      ) : tokens.data.length === 0 ? (
        <p className="empty">{t("settings.tokens.none")}</p>
      ) : (
        <ul className="settings-list" aria-label={t("settings.tokens.list")}>
          {tokens.data.map((token) => (
            <li key={token.id} className="settings-item">
              <TokenCard token={token} accounts={numbers.data} owner={everyone && token.user_id !== me.user?.id ? ownerOf(token.user_id) : null} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function TokenCard({ token, owner, accounts }: { token: ApiToken; owner: string | null; accounts: Account[] | undefined }) {
  const { t } = useI18n();
  const revoke = useChange(
    async () => done(await api.DELETE("/api/v1/api-tokens/{id}", { params: { path: { id: token.id } } })),
    [settingsKeys.tokens],
  );
  const expired = token.expires_at != null && new Date(token.expires_at) < new Date();
  const state = token.revoked_at ? t("settings.tokens.revoked") : expired ? t("settings.tokens.expired") : t("settings.tokens.active");
  return (
    <article aria-label={token.name}>
      <h4>
        {token.name} <span className="badge">{state}</span>
      </h4>
      <dl className="settings-facts">
        {owner && (
          <>
            <dt>{t("settings.tokens.owner")}</dt>
            <dd>{owner}</dd>
          </>
        )}
        <dt>{t("settings.tokens.created")}</dt>
        <dd>
          <When at={token.created_at} />
        </dd>
        <dt>{token.revoked_at ? t("settings.tokens.revokedAt") : t("settings.tokens.expires")}</dt>
        <dd>
          <When at={token.revoked_at ?? token.expires_at} />
        </dd>
        <dt>{t("settings.tokens.permissions")}</dt>
        <dd>{token.permissions.map((p) => permissionLabel(t, p)).join(", ")}</dd>
        <dt>{t("settings.tokens.numbers")}</dt>
        <dd>{token.accounts ? token.accounts.map((id) => numberLabel(id, accounts)).join(", ") : t("settings.tokens.everyNumber")}</dd>
      </dl>
      {!token.revoked_at && (
        <ConfirmButton
          label={t("settings.tokens.revoke", { name: token.name })}
          title={t("settings.tokens.revokeTitle", { name: token.name })}
          confirm={t("settings.tokens.revokeConfirm")}
          onConfirm={() => revoke.mutate()}
          disabled={revoke.isPending}
        >
          <p>{t("settings.tokens.revokeWarning")}</p>
        </ConfirmButton>
      )}
      <FormError error={revoke.error} />
    </article>
  );
}

/** A new token: a name, how long it lasts, and all the caller's permissions or some of them. */
function NewTokenForm({ me, onCreated }: { me: Me; onCreated: (created: Schemas["ApiTokenCreated"]) => void }) {
  const { t } = useI18n();
  const catalogue = usePermissionCatalogue();
  const [form, setForm] = useState<TokenForm>({ name: "", days: "", permissions: null, accounts: null });
  const accounts = useAccounts(may(me, "accounts.view"));
  const reachable = me.accounts.map((a) => a.account_id);
  const [problem, setProblem] = useState<string | null>(null);
  const create = useChange(
    async (body: Schemas["NewApiToken"]) => unwrap(await api.POST("/api/v1/api-tokens", { body })),
    [settingsKeys.tokens],
    (created) => onCreated(created),
  );
  if (catalogue.isError) return <ErrorNotice error={catalogue.error} onRetry={() => void catalogue.refetch()} />;
  const held = heldPermissions(me, catalogue.data?.map((p) => p.name) ?? []);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const wrong = tokenProblem(form);
    if (wrong) return setProblem(t(`settings.tokens.problem.${wrong}`, { max: TOKEN_MAX_DAYS }));
    setProblem(null);
    create.mutate(tokenBody(form, held));
  };
  return (
    <form className="settings-form" onSubmit={submit} aria-label={t("settings.tokens.create")}>
      <h4>{t("settings.tokens.create")}</h4>
      <label>
        <span className="field-label">{t("settings.tokens.name")}</span>
        <input required maxLength={100} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
      </label>
      <Field label={t("settings.tokens.days")} hint={t("settings.tokens.daysHint", { days: TOKEN_DEFAULT_DAYS, max: TOKEN_MAX_DAYS })}>
        {(field) => (
          <input
            type="number"
            min={1}
            max={TOKEN_MAX_DAYS}
            {...field}
            value={form.days}
            placeholder={String(TOKEN_DEFAULT_DAYS)}
            onChange={(e) => setForm({ ...form, days: e.target.value })}
          />
        )}
      </Field>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={form.permissions === null}
          onChange={(e) => setForm({ ...form, permissions: e.target.checked ? null : [] })}
        />
        {t("settings.tokens.allMine")}
      </label>
      {form.permissions !== null && (
        <PermissionChecklist
          legend={t("settings.tokens.only")}
          choices={held}
          value={form.permissions}
          onChange={(permissions) => setForm({ ...form, permissions })}
        />
      )}
      <label className="checkbox">
        <input
          type="checkbox"
          checked={form.accounts === null}
          onChange={(e) => setForm({ ...form, accounts: e.target.checked ? null : [] })}
        />
        {t("settings.tokens.allNumbers")}
      </label>
      {form.accounts !== null && (
        <fieldset className="permission-checklist">
          <legend>{t("settings.tokens.onlyNumbers")}</legend>
          <div className="permission-group">
            {reachable.map((id) => (
              <label key={id}>
                <input
                  type="checkbox"
                  checked={form.accounts?.includes(id) ?? false}
                  onChange={(e) =>
                    setForm({
                      ...form,
                      accounts: e.target.checked ? [...(form.accounts ?? []), id] : (form.accounts ?? []).filter((a) => a !== id),
                    })
                  }
                />
                {numberLabel(id, accounts.data)}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      <FormError error={create.error} />
      <button type="submit" className="primary" disabled={create.isPending || !catalogue.data}>
        {t("settings.tokens.createSubmit")}
      </button>
    </form>
  );
}

/** The secret, this once: the server keeps only its hash. */
function NewTokenShown({ created, onDone }: { created: Schemas["ApiTokenCreated"]; onDone: () => void }) {
  const { t } = useI18n();
  const fieldId = useId();
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className="token-shown" role="region" aria-labelledby={`${fieldId}-title`}>
      <FocusedHeading id={`${fieldId}-title`}>{t("settings.tokens.shownTitle", { name: created.api_token.name })}</FocusedHeading>
      <p className="warning">{t("settings.tokens.shownWarning")}</p>
      <label htmlFor={fieldId} className="field-label">
        {t("settings.tokens.secret")}
      </label>
      <div className="settings-actions">
        <input id={fieldId} readOnly value={created.token} onFocus={(e) => e.target.select()} className="token-value" />
        <button type="button" onClick={() => void copy()}>
          {t("settings.tokens.copy")}
        </button>
      </div>
      <p role="status">{copied === true ? t("settings.tokens.copied") : copied === false ? t("settings.tokens.copyFailed") : ""}</p>
      <button type="button" className="primary" onClick={onDone}>
        {t("settings.tokens.doneCopying")}
      </button>
    </div>
  );
}
