import { useId, useRef, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, unwrap, type Me } from "../api/client";
import { keys, useAccounts } from "../api/queries";
import { useI18n } from "../i18n/i18n";
import { messageOf } from "../ErrorNotice";
import { TemplateForm, type FilledTemplate } from "../conversation/TemplateForm";
import { pendingMessages } from "../conversation/pendingStore";

/**
 * Writes first to a number that may never have written: from which business number, to whom (as typed;
 * the server normalises it and refuses an impossible one), and a template, as Meta requires. The new
 * conversation opens with the template showing as "sending".
 */
export function NewConversation({ me, onOpen }: { me: Me; onOpen: (id: string) => void }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [open, setOpen] = useState(false);
  const senders = me.accounts.filter((a) => a.permissions.includes("messages.send")).map((a) => a.account_id);
  const accounts = useAccounts(open && me.accounts.some((a) => a.permissions.includes("accounts.view")));
  const [account, setAccount] = useState(senders[0] ?? "");
  const [to, setTo] = useState("");
  const [filled, setFilled] = useState<FilledTemplate | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (senders.length === 0) return null;

  const nameOf = (id: string) => {
    const a = accounts.data?.find((x) => x.id === id);
    return a ? `${a.name ?? a.display_name ?? ""} ${a.phone_number ?? id}`.trim() : id;
  };
  const show = () => {
    setProblem(null);
    setTo("");
    setOpen(true);
    dialog.current?.showModal();
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!filled || busy) return;
    setBusy(true);
    setProblem(null);
    try {
      const queued = unwrap(
        await api.POST("/api/v1/conversations", { body: { account_id: account, to, content: filled.content } }),
      );
      const item = pendingMessages.add(queued.conversation_id, filled.preview);
      pendingMessages.resolve(item.clientId, queued.message_id);
      void client.invalidateQueries({ queryKey: keys.conversations });
      dialog.current?.close();
      onOpen(queued.conversation_id);
    } catch (error) {
      setProblem(error instanceof ApiError && error.code === "invalid_phone_number" ? t("newConversation.badNumber", { reason: error.message }) : messageOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button type="button" className="new-conversation" onClick={show}>
        {t("newConversation.open")}
      </button>
      <dialog ref={dialog} className="app-dialog" aria-labelledby={titleId} onClose={() => setOpen(false)}>
        {open && (
          <form onSubmit={(e) => void submit(e)}>
            <h2 id={titleId}>{t("newConversation.title")}</h2>
            {senders.length > 1 && (
              <label>
                {t("newConversation.from")}
                <select value={account} onChange={(e) => setAccount(e.target.value)}>
                  {senders.map((id) => (
                    <option key={id} value={id}>
                      {nameOf(id)}
                    </option>
                  ))}
                </select>
              </label>
            )}
            <label>
              {t("newConversation.to")}
              <input type="tel" autoComplete="off" required placeholder="+33 6 12 34 56 78" value={to} onChange={(e) => setTo(e.target.value)} />
            </label>
            <TemplateForm key={account} accountId={account} onChange={setFilled} />
            {problem && (
              <p className="form-error" role="alert">
                {problem}
              </p>
            )}
            <div className="dialog-actions">
              <button type="button" onClick={() => dialog.current?.close()}>
                {t("template.cancel")}
              </button>
              <button type="submit" className="primary" disabled={!filled || to.trim() === "" || busy}>
                {t("template.send")}
              </button>
            </div>
          </form>
        )}
      </dialog>
    </>
  );
}
