import { describe, expect, it } from "vitest";
import { draftOf, parseIntervals, settingsOf } from "./teamworkSettings";

describe("a number's team-work settings as a form", () => {
  it("reads a day's intervals as people write them", () => {
    expect(parseIntervals("")).toEqual([]);
    expect(parseIntervals("9:00-12:30, 14:00 – 18:00")).toEqual([
      { open: "09:00", close: "12:30" },
      { open: "14:00", close: "18:00" },
    ]);
    expect(parseIntervals("9h-12h")).toBeNull();
  });

  it("round-trips saved settings and says which fields cannot be saved", () => {
    const saved = {
      hours: {
        enabled: true,
        time_zone: "Europe/Paris",
        weekly: { mon: [{ open: "09:00", close: "18:00" }], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
        holidays: ["2027-12-25"],
        away_message: "We are closed",
      },
      auto_assign: { team_id: "t1", capacity: 5 },
    };
    const draft = draftOf(saved, "UTC");
    expect(draft.days.mon).toBe("09:00-18:00");
    expect(draft.holidays).toBe("2027-12-25");
    expect(settingsOf(draft)).toEqual({ settings: saved });
    expect(settingsOf({ ...draft, team: "", capacity: "" })).toEqual({ settings: { ...saved, auto_assign: null } });
    expect(settingsOf({ ...draft, days: { ...draft.days, sat: "noon" }, holidays: "25/12", capacity: "0" })).toEqual({
      problems: [
        { field: "days.sat", problem: "badIntervals" },
        { field: "holidays", problem: "badHolidays" },
        { field: "capacity", problem: "badCapacity" },
      ],
    });
    expect(draftOf(undefined, "Europe/London").timeZone).toBe("Europe/London");
  });
});
