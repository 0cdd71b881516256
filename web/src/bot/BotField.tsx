import { useId, type ReactNode } from "react";
import { useI18n } from "../i18n/i18n";
import { FieldError } from "../numbers/parts";
import type { Problem } from "./logic";

/** What is wrong with `field`, in words: the form's own check or the server's refusal. */
export function useProblemText(problems: readonly Problem[], field: string): string | null {
  const { t } = useI18n();
  const problem = problems.find((p) => p.field === field);
  if (!problem) return null;
  return problem.key ? t(problem.key, problem.vars) : (problem.text ?? null);
}

/** A labelled field of the bot form, its hint and its problem tied to it (`aria-describedby`). */
export function BotField({
  label,
  value,
  onChange,
  problems,
  field,
  hint,
  multiline = false,
  rows = 4,
  inputMode,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  problems: readonly Problem[];
  field: string;
  hint?: ReactNode;
  multiline?: boolean;
  rows?: number;
  inputMode?: "decimal" | "numeric" | "tel";
}) {
  const id = useId();
  const error = useProblemText(problems, field);
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    value,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": described,
    "data-field": field,
    onChange: (e: { target: { value: string } }) => onChange(e.target.value),
  };
  return (
    <div className="numbers-field">
      <label htmlFor={id}>{label}</label>
      {multiline ? <textarea rows={rows} {...common} /> : <input type="text" inputMode={inputMode} {...common} />}
      {hint && (
        <span id={`${id}-hint`} className="numbers-hint">
          {hint}
        </span>
      )}
      <FieldError id={`${id}-error`} text={error} />
    </div>
  );
}
