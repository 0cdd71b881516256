import { useId, useMemo, useRef, useState } from "react";
import type { Schemas } from "../api/client";
import { useI18n } from "../i18n/i18n";
import { extraText, rejectionReasonKey, TEMPLATE_FILTERS, templateStatusOf } from "./meta";
import { AskingMeta, ConfirmDialog, MetaErrorNotice, ToneText, useFocusReturn } from "./parts";
import { useDeleteTemplate, useTemplates } from "./queries";
import { TemplateCreator } from "./TemplateCreator";

type Template = Schemas["Template"];

/** The business account's templates with Meta's review of each; create and delete with `templates.manage`. */
export function TemplatesSection({ id, canManage }: { id: string; canManage: boolean }) {
  const { t } = useI18n();
  const searchId = useId();
  const statusId = useId();
  const [status, setStatus] = useState("");
  const [search, setSearch] = useState("");
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  const newButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useFocusReturn(newButton, !creating);
  const templates = useTemplates(id, status);
  const all = templates.data?.templates;
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return (all ?? []).filter((tpl) => q === "" || tpl.name.toLowerCase().includes(q));
  }, [all, search]);

  return (
    <section className="numbers-section" aria-labelledby="number-templates">
      <div className="numbers-section-head">
        <h3 id="number-templates">{t("numbers.templates")}</h3>
        {canManage && !creating && (
          <button
            type="button"
            ref={newButton}
            onClick={() => {
              setCreated(null);
              setCreating(true);
            }}
          >
            {t("numbers.templates.new")}
          </button>
        )}
      </div>
      {created && (
        <p className="numbers-done" role="status">
          {t("numbers.templates.created", { name: created })}
        </p>
      )}
      {creating && (
        <TemplateCreator
          id={id}
          onDone={(name) => {
            returnFocus();
            setCreating(false);
            setCreated(name);
          }}
        />
      )}
      <div className="numbers-toolbar">
        <label htmlFor={searchId} className="visually-hidden">
          {t("numbers.templates.search")}
        </label>
        <input
          id={searchId}
          type="search"
          placeholder={t("numbers.templates.search")}
          value={search}
          maxLength={512}
          onChange={(e) => setSearch(e.target.value)}
        />
        <label htmlFor={statusId}>{t("numbers.templates.status")}</label>
        <select id={statusId} value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">{t("numbers.templates.allStatuses")}</option>
          {TEMPLATE_FILTERS.map((s) => (
            <option key={s} value={s}>
              {t(templateStatusOf(s)!.key!)}
            </option>
          ))}
        </select>
      </div>
      {templates.isError ? (
        <MetaErrorNotice error={templates.error} onRetry={() => void templates.refetch()} />
      ) : !all ? (
        <AskingMeta />
      ) : shown.length === 0 ? (
        <p className="empty">{t("numbers.templates.none")}</p>
      ) : (
        <div className="numbers-table-scroll">
          <table className="numbers-table">
            <caption className="visually-hidden">{t("numbers.templates")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("numbers.templates.name")}</th>
                <th scope="col">{t("numbers.templates.language")}</th>
                <th scope="col">{t("numbers.templates.category")}</th>
                <th scope="col">{t("numbers.templates.status")}</th>
                {canManage && (
                  <th scope="col">
                    <span className="visually-hidden">{t("numbers.templates.actions")}</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {shown.map((tpl) => (
                <TemplateRow key={tpl.id} id={id} template={tpl} all={all} canManage={canManage} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {templates.data?.next_cursor && <p className="numbers-hint">{t("numbers.templates.more")}</p>}
    </section>
  );
}

function categoryText(category: string | null | undefined, t: ReturnType<typeof useI18n>["t"]): string {
  switch (category?.toUpperCase()) {
    case "MARKETING":
      return t("numbers.category.MARKETING");
    case "UTILITY":
      return t("numbers.category.UTILITY");
    case "AUTHENTICATION":
      return t("numbers.category.AUTHENTICATION");
    default:
      return category ?? t("numbers.unknown");
  }
}

function TemplateRow({ id, template, all, canManage }: { id: string; template: Template; all: Template[]; canManage: boolean }) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const remove = useDeleteTemplate(id);
  const said = templateStatusOf(template.status);
  const reason = extraText(template, "rejected_reason");
  const reasonKey = reason ? rejectionReasonKey(reason) : null;
  const languages = all.filter((other) => other.name === template.name).length;
  const language = template.language ?? "";
  const confirm = (templateId?: string) =>
    remove.mutate({ name: template.name, templateId }, { onSuccess: () => setAsking(false) });
  return (
    <tr>
      <th scope="row">{template.name}</th>
      <td>{language}</td>
      <td>{categoryText(template.category, t)}</td>
      <td>
        <ToneText said={said} />
        {template.status?.toUpperCase() === "REJECTED" && (
          <span className="numbers-hint">
            {reason && reason !== "NONE" ? (reasonKey ? t(reasonKey) : reason) : t("numbers.reason.none")}
          </span>
        )}
      </td>
      {canManage && (
        <td>
          <button type="button" onClick={() => setAsking(true)} aria-label={t("numbers.templates.delete", { name: template.name, language })}>
            {t("numbers.delete")}
          </button>
          <ConfirmDialog
            open={asking}
            title={t("numbers.templates.deleteTitle", { name: template.name })}
            onClose={() => {
              setAsking(false);
              remove.reset();
            }}
            actions={
              <>
                {languages > 1 && (
                  <button type="button" className="danger" disabled={remove.isPending} onClick={() => confirm(template.id)}>
                    {t("numbers.templates.deleteOne", { language })}
                  </button>
                )}
                {/* One language listed: only that one is deleted, in case a status filter hides others. */}
                <button
                  type="button"
                  className="danger"
                  disabled={remove.isPending}
                  onClick={() => confirm(languages > 1 ? undefined : template.id)}
                >
                  {languages > 1 ? t("numbers.templates.deleteAll") : t("numbers.delete")}
                </button>
              </>
            }
          >
            <p>{languages > 1 ? t("numbers.templates.deleteManyText") : t("numbers.templates.deleteText")}</p>
            {remove.isPending && <AskingMeta />}
            {remove.isError && <MetaErrorNotice error={remove.error} />}
          </ConfirmDialog>
        </td>
      )}
    </tr>
  );
}
