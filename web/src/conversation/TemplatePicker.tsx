import { useId, useRef, useState, type FormEvent } from "react";
import { useI18n } from "../i18n/i18n";
import { TemplateForm, type FilledTemplate } from "./TemplateForm";
import type { OutboundContent } from "./useSend";

/**
 * Sends an approved template, the only kind of message allowed once the 24-hour window has closed: pick
 * one, fill in its placeholders, read the preview, send. A modal dialog (Escape closes it).
 */
export function TemplatePicker({
  accountId,
  onSend,
  prominent,
}: {
  accountId: string;
  onSend: (shown: string, attachment: null, content: () => Promise<OutboundContent>) => void;
  prominent: boolean;
}) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [filled, setFilled] = useState<FilledTemplate | null>(null);
  const titleId = useId();

  const show = () => {
    setOpen(true);
    dialog.current?.showModal();
  };
  const close = () => dialog.current?.close();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!filled) return;
    const { content, preview } = filled;
    onSend(preview, null, () => Promise.resolve(content));
    close();
  };

  return (
    <>
      <button type="button" className={prominent ? "primary" : undefined} onClick={show}>
        {t("template.open")}
      </button>
      <dialog ref={dialog} className="app-dialog" aria-labelledby={titleId} onClose={() => setOpen(false)}>
        {open && (
          <form onSubmit={submit}>
            <h2 id={titleId}>{t("template.title")}</h2>
            <TemplateForm accountId={accountId} onChange={setFilled} />
            <div className="dialog-actions">
              <button type="button" onClick={close}>
                {t("template.cancel")}
              </button>
              <button type="submit" className="primary" disabled={!filled}>
                {t("template.send")}
              </button>
            </div>
          </form>
        )}
      </dialog>
    </>
  );
}
