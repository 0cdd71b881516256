/** The Reports page's logic without React: the range it asks for, durations for people, the heat map's scale. */

/** What the Reports page asks the server for; empty strings mean "the server's default". */
export interface ReportFilter {
  /** `YYYY-MM-DD`, read in `tz`. */
  from: string;
  /** `YYYY-MM-DD`, included. */
  to: string;
  tz: string;
  account: string;
  label: string;
  businessHours: boolean;
}

/** A day as `YYYY-MM-DD` in the local calendar. */
export function isoDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The last `days` days, today included. */
export function lastDays(days: number, today: Date = new Date()): { from: string; to: string } {
  const from = new Date(today);
  from.setDate(from.getDate() - (days - 1));
  return { from: isoDay(from), to: isoDay(today) };
}

/** The browser's time zone (the server refuses one it does not know, and says so). */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** The default: the last 30 days in the browser's zone, every number and label, wall-clock time. */
export function defaultFilter(today: Date = new Date()): ReportFilter {
  return { ...lastDays(30, today), tz: browserZone(), account: "", label: "", businessHours: false };
}

/** Why the range cannot be asked for, or null. */
export function rangeProblem(filter: ReportFilter): "reports.badRange" | null {
  if (filter.from !== "" && filter.to !== "" && filter.from > filter.to) return "reports.badRange";
  return null;
}

/** The query string every report route takes. */
export function reportQuery(filter: ReportFilter): {
  from?: string;
  to?: string;
  tz?: string;
  account?: string;
  label?: string;
  business_hours?: boolean;
} {
  const text = (value: string) => (value.trim() === "" ? undefined : value.trim());
  return {
    from: text(filter.from),
    to: text(filter.to),
    tz: text(filter.tz),
    account: text(filter.account),
    label: text(filter.label),
    business_hours: filter.businessHours ? true : undefined,
  };
}

/** The address of a report's CSV export with the same range. */
export function csvPath(report: string, filter: ReportFilter): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(reportQuery(filter))) {
    if (value !== undefined) params.set(key, String(value));
  }
  const query = params.toString();
  return `/api/v1/reports/${report}/csv${query === "" ? "" : `?${query}`}`;
}

/** A duration in seconds for people: `45 s`, `12 min`, `3 h 20 min`, `2 d 4 h`; a dash when there is none. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const rest = minutes % 60;
    return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
  }
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return rest === 0 ? `${days} d` : `${days} d ${rest} h`;
}

/** A share (0 to 1) as a whole percentage; a dash when there is none. */
export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return "–";
  return `${Math.round(share * 100)} %`;
}

/** One hour of the week as the server counts it: weekday 1 (Monday) to 7, hour 0 to 23. */
export interface HeatCell {
  weekday: number;
  hour: number;
  inbound: number;
  outbound: number;
}

/**
 * The 7 × 24 grid (Monday first) of messages (in and out) per hour, each with its share of the busiest
 * hour (0 to 1), for the heat map's shading; hours the server left out count nothing.
 */
export function heatGrid(cells: HeatCell[]): { total: number; level: number }[][] {
  const grid = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0));
  for (const c of cells) {
    const row = grid[c.weekday - 1];
    if (row && c.hour >= 0 && c.hour < 24) row[c.hour] = (row[c.hour] ?? 0) + c.inbound + c.outbound;
  }
  const busiest = Math.max(0, ...grid.flat());
  return grid.map((row) => row.map((total) => ({ total, level: busiest === 0 ? 0 : total / busiest })));
}

/** The highest of the days' volumes (at least 1, so an empty range still draws an axis). */
export function highest(days: { inbound: number; outbound: number }[]): number {
  return Math.max(1, ...days.map((d) => Math.max(d.inbound, d.outbound)));
}
