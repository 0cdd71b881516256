import { useEffect, useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { useI18n } from "../i18n/i18n";
import { messageOf } from "../ErrorNotice";
import { templateComponents, templateFields, templatePreview, templateTexts, type TemplateValues } from "../messages/template";
import type { OutboundContent } from "./useSend";

function useTemplates(accountId: string) {
  return useQuery({
    queryKey: ["templates", accountId],
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

/** A template ready to send: what goes to Meta, and the text the customer will read. */
export interface FilledTemplate {
  content: OutboundContent;
  preview: string;
}

const EMPTY: TemplateValues = { header: {}, body: {} };

/**
 * The fields of a template message: which approved template of the number, a field per placeholder,
 * and a preview of what the customer will read. Reports the template once every placeholder is filled in.
 */
export function TemplateForm({ accountId, onChange }: { accountId: string; onChange: (filled: FilledTemplate | null) => void }) {
  const { t } = useI18n();
  const templates = useTemplates(accountId);
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
  const complete = current !== undefined && fields.every((f) => (values[f.part][f.key] ?? "").trim() !== "");

  useEffect(() => {
    if (!current || !complete) {
      onChange(null);
      return;
    }
    const { template, texts, language } = current;
    onChange({
      content: { kind: "template", name: template.name, language, components: templateComponents(texts, values) },
      preview: templatePreview(texts, values),
    });
  }, [current, complete, values, onChange]);

  if (templates.isPending) return <p role="status">{t("loading")}</p>;
  if (templates.isError) {
    return (
      <p className="form-error" role="alert">
        {messageOf(templates.error)}
      </p>
    );
  }
  if (usable.length === 0) return <p>{t("template.none")}</p>;
  return (
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
  );
}
