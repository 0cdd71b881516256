import type { Schemas } from "../api/client";

export type TeamworkSettings = Schemas["Teamwork"];
type Interval = Schemas["OpeningInterval"];

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Day = (typeof DAYS)[number];

/** The form as people fill it: each day's intervals as text (`09:00-12:30, 14:00-18:00`), holidays one per line. */
export interface TeamworkDraft {
  enabled: boolean;
  timeZone: string;
  days: Record<Day, string>;
  holidays: string;
  awayMessage: string;
  team: string;
  capacity: string;
}

/** A field that cannot be saved as written: `days.mon`, `holidays`, `capacity`. */
export type DraftProblem = { field: string; problem: "badIntervals" | "badHolidays" | "badCapacity" };

export function intervalsText(intervals: Interval[]): string {
  return intervals.map((i) => `${i.open}-${i.close}`).join(", ");
}

/** The intervals a day's text names, or null when it is not `HH:MM-HH:MM`, comma-separated (empty: closed). */
export function parseIntervals(text: string): Interval[] | null {
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const intervals: Interval[] = [];
  for (const part of parts) {
    const match = /^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$/.exec(part);
    if (!match) return null;
    const [, oh, om, ch, cm] = match;
    const pad = (h: string | undefined, m: string | undefined) => `${(h ?? "").padStart(2, "0")}:${m ?? ""}`;
    intervals.push({ open: pad(oh, om), close: pad(ch, cm) });
  }
  return intervals;
}

export function draftOf(settings: TeamworkSettings | undefined, fallbackZone: string): TeamworkDraft {
  const hours = settings?.hours;
  const days = Object.fromEntries(DAYS.map((d) => [d, intervalsText(hours?.weekly[d] ?? [])])) as Record<Day, string>;
  return {
    enabled: hours?.enabled ?? false,
    timeZone: hours?.time_zone && hours.time_zone !== "" ? hours.time_zone : fallbackZone,
    days,
    holidays: (hours?.holidays ?? []).join("\n"),
    awayMessage: hours?.away_message ?? "",
    team: settings?.auto_assign?.team_id ?? "",
    capacity: settings?.auto_assign?.capacity ? String(settings.auto_assign.capacity) : "",
  };
}

/** The settings a draft says, or the fields it cannot say (the server checks the rest: zone, overlaps, team). */
export function settingsOf(draft: TeamworkDraft): { settings: TeamworkSettings } | { problems: DraftProblem[] } {
  const problems: DraftProblem[] = [];
  const weekly = {} as Record<Day, Interval[]>;
  for (const day of DAYS) {
    const intervals = parseIntervals(draft.days[day]);
    if (intervals === null) problems.push({ field: `days.${day}`, problem: "badIntervals" });
    weekly[day] = intervals ?? [];
  }
  const holidays = draft.holidays
    .split(/[\s,]+/)
    .map((h) => h.trim())
    .filter((h) => h !== "");
  if (holidays.some((h) => !/^\d{4}-\d{2}-\d{2}$/.test(h))) problems.push({ field: "holidays", problem: "badHolidays" });
  const capacity = draft.capacity.trim() === "" ? null : Number(draft.capacity);
  if (capacity !== null && (!Number.isInteger(capacity) || capacity < 1 || capacity > 1000)) {
    problems.push({ field: "capacity", problem: "badCapacity" });
  }
  if (problems.length > 0) return { problems };
  return {
    settings: {
      hours: {
        enabled: draft.enabled,
        time_zone: draft.timeZone.trim(),
        weekly,
        holidays,
        away_message: draft.awayMessage,
      },
      auto_assign: draft.team === "" ? null : { team_id: draft.team, capacity },
    },
  };
}
