import { useRef, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useI18n } from "../i18n/i18n";
import { ErrorNotice } from "../ErrorNotice";
import { useFocusFirstProblem } from "../numbers/parts";
import { BotField } from "./BotField";
import {
  LIMITS,
  PLAYBOOK,
  PROFILE,
  draftChanged,
  draftFromSettings,
  isStale,
  serverProblem,
  settingsFromDraft,
  type BotConfig,
  type BotDraft,
  type Problem,
} from "./logic";
import { botKeys, useSaveBot } from "./queries";

/**
 * The bot's settings as one form: on or off, the business, the playbook's sections, knowledge and custom
 * fields, its phrases and when it hands over. Saved whole with the version it was read at, so a save made
 * meanwhile by someone else is never overwritten: the form says so and offers to load theirs.
 */
export function BotSettingsForm({
  id,
  config,
  draft,
  onChange,
}: {
  id: string;
  config: BotConfig;
  draft: BotDraft;
  onChange: (draft: BotDraft) => void;
}) {
  const { t } = useI18n();
  const client = useQueryClient();
  const save = useSaveBot(id);
  const [checked, setChecked] = useState(false);
  const [saved, setSaved] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const focusProblem = useFocusFirstProblem(form);
  const own = checked ? settingsFromDraft(draft).problems : [];
  const refused = serverProblem(save.error);
  const problems: Problem[] = refused ? [...own, refused] : own;
  const stale = isStale(save.error);
  const changed = draftChanged(config.settings, draft);

  const edit = (next: BotDraft) => {
    setSaved(false);
    onChange(next);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    const { settings, problems } = settingsFromDraft(draft);
    if (problems.length > 0) {
      focusProblem();
      return;
    }
    save.mutate(
      { settings, version: config.version },
      {
        onSuccess: (next) => {
          onChange(draftFromSettings(next.settings));
          setChecked(false);
          setSaved(true);
        },
        onError: (error) => {
          if (serverProblem(error)) focusProblem();
        },
      },
    );
  };
  const reload = async () => {
    await client.refetchQueries({ queryKey: botKeys.config(id), exact: true });
    const next = client.getQueryData<BotConfig>(botKeys.config(id));
    save.reset();
    setSaved(false);
    setChecked(false);
    if (next) onChange(draftFromSettings(next.settings));
  };

  return (
    <section className="numbers-section" aria-labelledby="bot-settings">
      <h3 id="bot-settings">{t("bot.settings")}</h3>
      <form ref={form} className="numbers-form bot-form" onSubmit={submit} noValidate aria-labelledby="bot-settings">
        <label className="bot-switch">
          <input type="checkbox" role="switch" checked={draft.enabled} onChange={(e) => edit({ ...draft, enabled: e.target.checked })} />
          {t("bot.enabled")}
        </label>
        <p className="numbers-hint">{t(draft.enabled ? "bot.enabled.on" : "bot.enabled.off")}</p>
        {!config.server_model && <p className="bot-warning">{t("bot.noModel")}</p>}

        <fieldset className="bot-fieldset">
          <legend>{t("bot.profile")}</legend>
          {PROFILE.map(({ key, label, multiline }) => (
            <BotField
              key={key}
              label={t(label)}
              field={`profile.${key}`}
              value={draft.profile[key]}
              multiline={multiline}
              rows={2}
              problems={problems}
              onChange={(value) => edit({ ...draft, profile: { ...draft.profile, [key]: value } })}
            />
          ))}
        </fieldset>

        <fieldset className="bot-fieldset">
          <legend>{t("bot.playbook")}</legend>
          <p className="numbers-hint">{t("bot.playbook.hint")}</p>
          {PLAYBOOK.map(({ key, label, hint }) => (
            <BotField
              key={key}
              label={t(label)}
              hint={t(hint)}
              field={`playbook.${key}`}
              value={draft.playbook[key]}
              multiline
              problems={problems}
              onChange={(value) => edit({ ...draft, playbook: { ...draft.playbook, [key]: value } })}
            />
          ))}
          <BotField
            label={t("bot.knowledge")}
            hint={t("bot.knowledge.hint")}
            field="knowledge"
            value={draft.knowledge}
            multiline
            problems={problems}
            onChange={(knowledge) => edit({ ...draft, knowledge })}
          />
        </fieldset>

        <CustomFields draft={draft} problems={problems} onChange={edit} />

        <fieldset className="bot-fieldset">
          <legend>{t("bot.behaviour")}</legend>
          <BotField label={t("bot.fallback")} hint={t("bot.fallback.hint")} field="fallback_phrase" value={draft.fallback_phrase} multiline rows={2} problems={problems} onChange={(fallback_phrase) => edit({ ...draft, fallback_phrase })} />
          <BotField label={t("bot.attachment")} hint={t("bot.attachment.hint")} field="attachment_phrase" value={draft.attachment_phrase} multiline rows={2} problems={problems} onChange={(attachment_phrase) => edit({ ...draft, attachment_phrase })} />
          <BotField
            label={t("bot.escalationNumber")}
            hint={config.server_escalation_number ? t("bot.escalationNumber.default", { number: config.server_escalation_number }) : t("bot.escalationNumber.none")}
            field="escalation_number"
            value={draft.escalation_number}
            inputMode="tel"
            problems={problems}
            onChange={(escalation_number) => edit({ ...draft, escalation_number })}
          />
          <div className="bot-numbers">
            <BotField label={t("bot.threshold")} hint={t("bot.threshold.hint")} field="confidence_threshold" value={draft.confidence_threshold} inputMode="decimal" problems={problems} onChange={(confidence_threshold) => edit({ ...draft, confidence_threshold })} />
            <BotField label={t("bot.history")} hint={t("bot.history.hint", { max: LIMITS.history })} field="history_messages" value={draft.history_messages} inputMode="numeric" problems={problems} onChange={(history_messages) => edit({ ...draft, history_messages })} />
            <BotField label={t("bot.maxReplies")} hint={t("bot.maxReplies.hint")} field="max_replies" value={draft.max_replies} inputMode="numeric" problems={problems} onChange={(max_replies) => edit({ ...draft, max_replies })} />
            <BotField label={t("bot.window")} hint={t("bot.window.hint")} field="reply_window_minutes" value={draft.reply_window_minutes} inputMode="numeric" problems={problems} onChange={(reply_window_minutes) => edit({ ...draft, reply_window_minutes })} />
          </div>
          <BotField
            label={t("bot.model")}
            hint={config.server_model ? t("bot.model.default", { model: config.server_model }) : t("bot.model.none")}
            field="model"
            value={draft.model}
            problems={problems}
            onChange={(model) => edit({ ...draft, model })}
          />
        </fieldset>

        {stale ? (
          <div className="numbers-error" role="alert">
            <p>{t("bot.stale")}</p>
            <button type="button" onClick={() => void reload()}>
              {t("bot.stale.reload")}
            </button>
          </div>
        ) : save.isError && !refused ? (
          <ErrorNotice error={save.error} />
        ) : null}
        {refused && (
          <p className="numbers-error" role="alert">
            {t("bot.refused")}
          </p>
        )}
        <div className="numbers-actions bot-actions">
          <span className="numbers-hint" role="status">
            {saved ? t("bot.saved", { version: config.version }) : changed ? t("bot.unsaved") : t("bot.version", { version: config.version })}
          </span>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? t("bot.saving") : t("bot.save")}
          </button>
        </div>
      </form>
    </section>
  );
}

/** Named facts ("Delivery time": "2 to 3 days"), added and removed one by one. */
function CustomFields({ draft, problems, onChange }: { draft: BotDraft; problems: readonly Problem[]; onChange: (draft: BotDraft) => void }) {
  const { t } = useI18n();
  const fields = draft.custom_fields;
  const set = (i: number, part: "name" | "value", value: string) =>
    onChange({ ...draft, custom_fields: fields.map((f, j) => (j === i ? { ...f, [part]: value } : f)) });
  return (
    <fieldset className="bot-fieldset">
      <legend>{t("bot.fields")}</legend>
      <p className="numbers-hint">{t("bot.fields.hint")}</p>
      {fields.length > 0 && (
        <ol className="bot-custom-fields">
          {fields.map((f, i) => (
            <li key={i}>
              <BotField label={t("bot.fields.name", { n: i + 1 })} field={`custom_fields[${i}].name`} value={f.name} problems={problems} onChange={(v) => set(i, "name", v)} />
              <BotField label={t("bot.fields.value", { n: i + 1 })} field={`custom_fields[${i}].value`} value={f.value} multiline rows={2} problems={problems} onChange={(v) => set(i, "value", v)} />
              <button type="button" onClick={() => onChange({ ...draft, custom_fields: fields.filter((_, j) => j !== i) })}>
                {t("bot.fields.remove", { n: i + 1 })}
              </button>
            </li>
          ))}
        </ol>
      )}
      <button type="button" disabled={fields.length >= LIMITS.customFields} onClick={() => onChange({ ...draft, custom_fields: [...fields, { name: "", value: "" }] })}>
        {t("bot.fields.add")}
      </button>
    </fieldset>
  );
}
