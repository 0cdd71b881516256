import type { AuditEvent } from "../api/client";

/** Who caused an event, from its metadata (`caused_by`: a webhook, a user, the bot or the system). */
export type Cause =
  | { kind: "webhook"; request: string | null }
  | { kind: "user"; user: string }
  | { kind: "bot" }
  | { kind: "system"; reason: string | null }
  | { kind: "unknown" };

export function causeOf(metadata: unknown): Cause {
  const by = typeof metadata === "object" && metadata !== null ? (metadata as { caused_by?: unknown }).caused_by : undefined;
  if (typeof by !== "object" || by === null) return { kind: "unknown" };
  const fields = by as Record<string, unknown>;
  const text = (key: string) => (typeof fields[key] === "string" ? (fields[key] as string) : null);
  switch (fields.kind) {
    case "webhook":
      return { kind: "webhook", request: text("request_id") };
    case "user": {
      const user = text("user_id");
      return user ? { kind: "user", user } : { kind: "unknown" };
    }
    case "bot":
      return { kind: "bot" };
    case "system":
      return { kind: "system", reason: text("reason") };
    default:
      return { kind: "unknown" };
  }
}

/** The hash as it fits a table: its first and last characters; the whole of it goes in a title. */
export function shortHash(hash: string): string {
  return hash.length <= 16 ? hash : `${hash.slice(0, 8)}…${hash.slice(-6)}`;
}

/** The event a moment falls on: the last one recorded at or before it (-1 before the first). */
export function eventAt(events: readonly Pick<AuditEvent, "recorded_at">[], asOf: string): number {
  const at = Date.parse(asOf);
  let found = -1;
  events.forEach((e, i) => {
    if (Date.parse(e.recorded_at) <= at) found = i;
  });
  return found;
}
