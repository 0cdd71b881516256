/**
 * Which numbers' new messages notify this browser: none, some, or every number (also those added
 * later). Kept in localStorage as a JSON list of account ids, `"*"` for every number.
 */
export type NotifyChoice = ReadonlySet<string>;

export const EVERY_NUMBER = "*";

export function parseChoice(stored: string | null): NotifyChoice {
  if (stored === "on") return new Set([EVERY_NUMBER]); // what a single switch used to keep
  if (!stored) return new Set();
  try {
    const value: unknown = JSON.parse(stored);
    return new Set(Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);
  } catch {
    return new Set();
  }
}

export function serializeChoice(choice: NotifyChoice): string {
  return JSON.stringify([...choice].sort());
}

export function notifies(choice: NotifyChoice, account: string): boolean {
  return choice.has(EVERY_NUMBER) || choice.has(account);
}

/** The choice with one number switched; `all` is every number the user sees, to spell out "every number". */
export function switchNumber(choice: NotifyChoice, account: string, on: boolean, all: readonly string[]): NotifyChoice {
  const explicit = new Set(choice.has(EVERY_NUMBER) ? all : [...choice]);
  if (on) explicit.add(account);
  else explicit.delete(account);
  return all.length > 0 && all.every((a) => explicit.has(a)) ? new Set([EVERY_NUMBER]) : explicit;
}
