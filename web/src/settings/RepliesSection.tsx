import { useState, type FormEvent } from "react";
import { api, unwrap, type Me, type Schemas } from "../api/client";
import { may, useAccounts } from "../api/queries";
import { ErrorNotice } from "../ErrorNotice";
import { useI18n } from "../i18n/i18n";
import { validShortcut } from "../teamwork/logic";
import { teamKeys, useReplies, type Reply } from "../teamwork/queries";
import { EVERYWHERE } from "./logic";
import { ConfirmButton, Field, FocusedHeading, FormError, FormFooter, numberLabel, ScopeSelect } from "./parts";
import { done, useChange } from "./queries";

/** Canned replies: a shortcut agents type after `/` in the composer, and the text it puts there. */
export function RepliesSection({ me }: { me: Me }) {
  const { t } = useI18n();
  const replies = useReplies(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  if (replies.isError) return <ErrorNotice error={replies.error} onRetry={() => void replies.refetch()} />;
  if (!replies.data) return <p className="loading" role="status">{t("loading")}</p>;
  const sorted = [...replies.data].sort((a, b) => a.shortcut.localeCompare(b.shortcut));
  return (
    <section className="settings-section" aria-labelledby="replies-heading">
      <h3 id="replies-heading">{t("settings.section.replies")}</h3>
      <p className="hint">{t("teamwork.replies.intro")}</p>
      {adding ? (
        <ReplyForm me={me} onClose={() => setAdding(false)} />
      ) : (
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t("teamwork.replies.add")}
        </button>
      )}
      {sorted.length === 0 && <p className="muted">{t("teamwork.replies.none")}</p>}
      <ul className="settings-list">
        {sorted.map((reply) => (
          <li key={reply.id} className="settings-item">
            {editing === reply.id ? (
              <ReplyForm me={me} reply={reply} onClose={() => setEditing(null)} />
            ) : (
              <ReplyCard me={me} reply={reply} onEdit={() => setEditing(reply.id)} />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Whether the caller may change a reply of `account` (`null`: every number, which needs the permission install-wide). */
function mayChange(me: Me, account: string | null | undefined): boolean {
  if (me.authenticated_by === "operator") return true;
  return account ? may(me, "replies.manage", account) : me.permissions.includes("replies.manage");
}

function ReplyCard({ me, reply, onEdit }: { me: Me; reply: Reply; onEdit: () => void }) {
  const { t } = useI18n();
  const accounts = useAccounts(true).data;
  const remove = useChange(
    async () => done(await api.DELETE("/api/v1/replies/{id}", { params: { path: { id: reply.id } } })),
    [teamKeys.replies],
  );
  const editable = mayChange(me, reply.account);
  return (
    <article aria-label={`/${reply.shortcut}`}>
      <h4>
        <code>/{reply.shortcut}</code>
        <span className="badge">{reply.account ? numberLabel(reply.account, accounts) : t("settings.scope.everywhere")}</span>
      </h4>
      <p className="reply-text">{reply.text}</p>
      {editable && (
        <div className="settings-actions">
          <button type="button" onClick={onEdit} aria-label={t("teamwork.replies.editOne", { shortcut: reply.shortcut })}>
            {t("settings.edit")}
          </button>
          <ConfirmButton
            label={t("teamwork.replies.delete", { shortcut: reply.shortcut })}
            title={t("teamwork.replies.delete", { shortcut: reply.shortcut })}
            confirm={t("teamwork.delete")}
            onConfirm={() => remove.mutate()}
            disabled={remove.isPending}
          >
            <p>{t("teamwork.replies.deleteWarning")}</p>
          </ConfirmButton>
        </div>
      )}
      <FormError error={remove.error} />
    </article>
  );
}

/** Creates a reply (no `reply`) or changes one: its shortcut, text and number. */
function ReplyForm({ me, reply, onClose }: { me: Me; reply?: Reply; onClose: () => void }) {
  const { t } = useI18n();
  const accounts = useAccounts(true).data;
  const [shortcut, setShortcut] = useState(reply?.shortcut ?? "");
  const [text, setText] = useState(reply?.text ?? "");
  const [account, setAccount] = useState(reply?.account ?? EVERYWHERE);
  const [problem, setProblem] = useState<string | null>(null);
  const save = useChange(
    async (body: Schemas["ReplyChange"]) =>
      reply
        ? unwrap(await api.PUT("/api/v1/replies/{id}", { params: { path: { id: reply.id } }, body }))
        : unwrap(await api.POST("/api/v1/replies", { body })),
    [teamKeys.replies],
    onClose,
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!validShortcut(shortcut)) return setProblem(t("teamwork.replies.badShortcut"));
    if (text.trim() === "") return setProblem(t("teamwork.replies.noText"));
    setProblem(null);
    save.mutate({ shortcut, text, account: account === EVERYWHERE ? null : account });
  };
  const title = reply ? t("teamwork.replies.editOne", { shortcut: reply.shortcut }) : t("teamwork.replies.add");
  const ids = (accounts ?? []).map((a) => a.id).filter((id) => mayChange(me, id));
  return (
    <form className="settings-form" onSubmit={submit} aria-label={title}>
      <FocusedHeading>{title}</FocusedHeading>
      <Field label={t("teamwork.replies.shortcut")} hint={t("teamwork.replies.shortcutRule")}>
        {(field) => (
          <input
            required
            maxLength={32}
            pattern="[a-z0-9_\-]{1,32}"
            {...field}
            value={shortcut}
            onChange={(e) => setShortcut(e.target.value.toLowerCase())}
          />
        )}
      </Field>
      <Field label={t("teamwork.replies.text")} hint={t("teamwork.replies.placeholders")}>
        {(field) => <textarea required rows={4} maxLength={4096} {...field} value={text} onChange={(e) => setText(e.target.value)} />}
      </Field>
      <ScopeSelect
        label={t("teamwork.replies.number")}
        value={account}
        onChange={setAccount}
        ids={ids}
        accounts={accounts}
        everywhereOnly={false}
      />
      <FormFooter problem={problem} change={save} submit={reply ? t("settings.save") : t("teamwork.replies.create")} onCancel={onClose} />
    </form>
  );
}
