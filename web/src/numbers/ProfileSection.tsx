import { useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import type { Schemas } from "../api/client";
import { useI18n } from "../i18n/i18n";
import { PROFILE_LIMITS, profileChanges, profileDraft, profileProblems, VERTICALS, verticalKey, type ProfileDraft } from "./profile";
import { AskingMeta, Fact, FieldError, MetaErrorNotice, useFocusFirstProblem, useFocusReturn } from "./parts";
import { useProfile, useUpdateProfile } from "./queries";
import type { Problem } from "./templateDraft";

/** The business profile customers see in WhatsApp; those who manage the number can change it. */
export function ProfileSection({ id, canEdit }: { id: string; canEdit: boolean }) {
  const { t } = useI18n();
  const profile = useProfile(id);
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useFocusReturn(editButton, !editing);
  return (
    <section className="numbers-section" aria-labelledby="number-profile">
      <div className="numbers-section-head">
        <h3 id="number-profile">{t("numbers.profile")}</h3>
        {canEdit && profile.data && !editing && (
          <button
            type="button"
            ref={editButton}
            onClick={() => {
              setSaved(false);
              setEditing(true);
            }}
          >
            {t("numbers.profile.edit")}
          </button>
        )}
      </div>
      {saved && (
        <p className="numbers-done" role="status">
          {t("numbers.profile.saved")}
        </p>
      )}
      {profile.isError ? (
        <MetaErrorNotice error={profile.error} onRetry={() => void profile.refetch()} />
      ) : !profile.data ? (
        <AskingMeta />
      ) : editing ? (
        <ProfileForm
          id={id}
          profile={profile.data}
          onDone={(changed) => {
            returnFocus();
            setEditing(false);
            setSaved(changed);
          }}
        />
      ) : (
        <ProfileFacts profile={profile.data} />
      )}
    </section>
  );
}

function ProfileFacts({ profile }: { profile: Schemas["BusinessProfile"] }) {
  const { t } = useI18n();
  const vertical = profile.vertical ? verticalKey(profile.vertical) : null;
  const websites = profile.websites ?? [];
  return (
    <dl className="numbers-facts">
      <dt>{t("numbers.profile.about")}</dt>
      <dd>{profile.about || <span className="muted">{t("numbers.profile.empty")}</span>}</dd>
      <Fact label={t("numbers.profile.description")}>{profile.description}</Fact>
      <Fact label={t("numbers.profile.address")}>{profile.address}</Fact>
      <Fact label={t("numbers.profile.email")}>{profile.email}</Fact>
      <Fact label={t("numbers.profile.websites")}>
        {websites.length > 0 ? (
          <ul className="numbers-inline-list">
            {websites.map((w) => (
              <li key={w}>{/^https?:\/\//.test(w) ? <a href={w} rel="noreferrer noopener" target="_blank">{w}</a> : w}</li>
            ))}
          </ul>
        ) : null}
      </Fact>
      <Fact label={t("numbers.profile.vertical")}>{vertical ? t(vertical) : profile.vertical}</Fact>
      <Fact label={t("numbers.profile.picture")}>
        {profile.profile_picture_url ? (
          <img className="numbers-picture" src={profile.profile_picture_url} alt={t("numbers.profile.pictureAlt")} />
        ) : null}
      </Fact>
    </dl>
  );
}

/** The profile's fields, checked against Meta's limits before sending; what was typed stays on failure. */
function ProfileForm({ id, profile, onDone }: { id: string; profile: Schemas["BusinessProfile"]; onDone: (changed: boolean) => void }) {
  const { t } = useI18n();
  const update = useUpdateProfile(id);
  const [draft, setDraft] = useState<ProfileDraft>(() => profileDraft(profile));
  const [checked, setChecked] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const focusProblem = useFocusFirstProblem(form);
  const problems = checked ? profileProblems(draft) : [];
  const set = (field: keyof Omit<ProfileDraft, "websites">) => (value: string) => setDraft({ ...draft, [field]: value });
  const setWebsite = (i: 0 | 1) => (value: string) =>
    setDraft({ ...draft, websites: i === 0 ? [value, draft.websites[1]] : [draft.websites[0], value] });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (profileProblems(draft).length > 0) {
      focusProblem();
      return;
    }
    const changes = profileChanges(profile, draft);
    if (Object.keys(changes).length === 0) {
      onDone(false);
      return;
    }
    update.mutate(changes, { onSuccess: () => onDone(true) });
  };

  return (
    <form ref={form} className="numbers-form" onSubmit={submit} noValidate aria-labelledby="number-profile">
      <TextField label={t("numbers.profile.about")} value={draft.about} onChange={set("about")} max={PROFILE_LIMITS.about} problems={problems} field="about" required />
      <TextField label={t("numbers.profile.description")} value={draft.description} onChange={set("description")} max={PROFILE_LIMITS.description} problems={problems} field="description" multiline />
      <TextField label={t("numbers.profile.address")} value={draft.address} onChange={set("address")} max={PROFILE_LIMITS.address} problems={problems} field="address" />
      <TextField label={t("numbers.profile.email")} value={draft.email} onChange={set("email")} max={PROFILE_LIMITS.email} problems={problems} field="email" type="email" />
      <TextField label={t("numbers.profile.website", { n: 1 })} value={draft.websites[0]} onChange={setWebsite(0)} max={PROFILE_LIMITS.website} problems={problems} field="website.0" type="url" />
      <TextField label={t("numbers.profile.website", { n: 2 })} value={draft.websites[1]} onChange={setWebsite(1)} max={PROFILE_LIMITS.website} problems={problems} field="website.1" type="url" />
      <label className="numbers-field">
        {t("numbers.profile.vertical")}
        <select value={draft.vertical} onChange={(e) => set("vertical")(e.target.value)}>
          {draft.vertical === "" && <option value="">{t("numbers.profile.noVertical")}</option>}
          {!verticalKey(draft.vertical) && draft.vertical !== "" && <option value={draft.vertical}>{draft.vertical}</option>}
          {VERTICALS.map((v) => (
            <option key={v} value={v}>
              {t(verticalKey(v)!)}
            </option>
          ))}
        </select>
      </label>
      {update.isError && <MetaErrorNotice error={update.error} />}
      <div className="numbers-actions">
        <button type="button" onClick={() => onDone(false)} disabled={update.isPending}>
          {t("numbers.cancel")}
        </button>
        <button type="submit" className="primary" disabled={update.isPending}>
          {update.isPending ? t("numbers.saving") : t("numbers.profile.save")}
        </button>
      </div>
    </form>
  );
}

/** A labelled text field with its limit said, a live count, and its problem tied to it. */
export function TextField({
  label,
  value,
  onChange,
  max,
  problems,
  field,
  hint,
  multiline,
  required,
  type = "text",
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  max?: number;
  problems: Problem[];
  field: string;
  hint?: ReactNode;
  multiline?: boolean;
  required?: boolean;
  type?: string;
}) {
  const { t } = useI18n();
  const id = useId();
  const problem = problems.find((p) => p.field === field);
  const count = [...value].length;
  const described = [`${id}-hint`, problem ? `${id}-error` : null].filter(Boolean).join(" ");
  const common = {
    id,
    value,
    required,
    "aria-invalid": problem ? true : undefined,
    "aria-describedby": described,
    onChange: (e: { target: { value: string } }) => onChange(e.target.value),
  };
  return (
    <div className="numbers-field">
      <label htmlFor={id}>{label}</label>
      {multiline ? <textarea rows={4} {...common} /> : <input type={type} {...common} />}
      <span id={`${id}-hint`} className="numbers-hint">
        {hint}
        {hint && max !== undefined ? " " : null}
        {max !== undefined && (
          <span className={count > max ? "over" : undefined}>{t("numbers.count", { count, max })}</span>
        )}
      </span>
      <FieldError id={`${id}-error`} text={problem ? t(problem.key, problem.vars) : null} />
    </div>
  );
}
