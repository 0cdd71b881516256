import { useId, useMemo, useRef, useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { useI18n } from "../i18n/i18n";
import { messageOf } from "../ErrorNotice";
import {
  templateComponents,
  templateFields,
  templatePreview,
  templateTexts,
  type TemplateValues,
} from "../messages/template";
import type { OutboundContent } from "./useSend";

function useTemplates(accountId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["templates", accountId],
    enabled,
    staleTime: 5 * 60_000,
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET("/api/v1/accounts/{id}/templates", {
          signal,
          params: { path: { id: accountId }, query: { status: "APPROVED" } },
        }),
      ).templates,
  });
}

const EMPTY: TemplateValues = { header: {}, body: {} };

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
  const templates = useTemplates(accountId, open);
  const titleId = useId();
  const [chosen, setChosen] = useState(0);
  const [values, setValues] = useState<TemplateValues>(EMPTY);
  const usable = useMemo(
    () =>
      (templates.data ?? []).flatMap((template) => {
        const texts = templateTexts(template);
        return texts && template.language ? [{ template, texts, language: template.language }] : [];
      }),
    [templates.data],
  );
  const current = usable[chosen];
  const fields = current ? templateFields(current.texts) : [];
  const complete = fields.every((f) => (values[f.part][f.key] ?? "").trim() !== "");

  const show = () => {
    setOpen(true);
    setValues(EMPTY);
    dialog.current?.showModal();
  };
  const close = () => dialog.current?.close();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!current || !complete) return;
    const { template, texts, language } = current;
    const components = templateComponents(texts, values);
    onSend(templatePreview(texts, values), null, () => Promise.resolve({ kind: "template", name: template.name, language, components }));
    close();
  };

  return (
    <>
      <button type="button" className={prominent ? "primary" : undefined} onClick={show}>
        {t("template.open")}
      </button>
      <dialog ref={dialog} className="template-dialog" aria-labelledby={titleId} onClose={() => setOpen(false)}>
        <form onSubmit={submit}>
          <h2 id={titleId}>{t("template.title")}</h2>
          {templates.isPending && open && <p role="status">{t("loading")}</p>}
          {templates.isError && (
            <p className="form-error" role="alert">
              {messageOf(templates.error)}
            </p>
          )}
          {templates.data && usable.length === 0 && <p>{t("template.none")}</p>}
          {usable.length > 0 && (
            <>
              <label>
                {t("template.choose")}
                <select
                  value={chosen}
                  onChange={(e) => {
                    setChosen(Number(e.target.value));
                    setValues(EMPTY);
                  }}
                >
                  {usable.map(({ template, language }, i) => (
                    <option key={template.id} value={i}>
                      {template.name} ({language})
                    </option>
                  ))}
                </select>
              </label>
              {fields.map(({ part, key }) => (
                <label key={`${part}-${key}`}>
                  {t(part === "header" ? "template.headerField" : "template.bodyField", { key })}
                  <input
                    required
                    value={values[part][key] ?? ""}
                    onChange={(e) => setValues({ ...values, [part]: { ...values[part], [key]: e.target.value } })}
                  />
                </label>
              ))}
              {current && (
                <figure className="template-figure">
                  <figcaption>{t("template.preview")}</figcaption>
                  <p className="template-preview">{templatePreview(current.texts, values)}</p>
                </figure>
              )}
            </>
          )}
          <div className="dialog-actions">
            <button type="button" onClick={close}>
              {t("template.cancel")}
            </button>
            <button type="submit" className="primary" disabled={!current || !complete}>
              {t("template.send")}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
