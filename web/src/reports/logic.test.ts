import { describe, expect, it } from "vitest";
import { csvPath, defaultFilter, duration, heatGrid, highest, lastDays, percent, rangeProblem, reportQuery } from "./logic";

describe("the reports' range", () => {
  it("covers the last days, today included", () => {
    expect(lastDays(30, new Date(2027, 0, 31, 15))).toEqual({ from: "2027-01-02", to: "2027-01-31" });
    expect(lastDays(1, new Date(2027, 2, 1))).toEqual({ from: "2027-03-01", to: "2027-03-01" });
  });

  it("refuses a start after its end and sends only what is set", () => {
    const filter = { ...defaultFilter(new Date(2027, 0, 31)), tz: "Europe/Paris" };
    expect(rangeProblem(filter)).toBeNull();
    expect(rangeProblem({ ...filter, from: "2027-02-01" })).toBe("reports.badRange");
    expect(reportQuery({ ...filter, account: " ", businessHours: true })).toEqual({
      from: "2027-01-02",
      to: "2027-01-31",
      tz: "Europe/Paris",
      account: undefined,
      label: undefined,
      business_hours: true,
    });
  });

  it("exports the same range as CSV", () => {
    const filter = { from: "2027-01-01", to: "2027-01-31", tz: "Europe/Paris", account: "", label: "l1", businessHours: false };
    expect(csvPath("agents", filter)).toBe("/api/v1/reports/agents/csv?from=2027-01-01&to=2027-01-31&tz=Europe%2FParis&label=l1");
  });
});

describe("figures for people", () => {
  it("says durations in the largest units that fit", () => {
    expect(duration(null)).toBe("–");
    expect(duration(42.4)).toBe("42 s");
    expect(duration(1950)).toBe("33 min");
    expect(duration(3 * 3600 + 20 * 60)).toBe("3 h 20 min");
    expect(duration(7200)).toBe("2 h");
    expect(duration(52 * 3600)).toBe("2 d 4 h");
    expect(percent(1 / 3)).toBe("33 %");
    expect(percent(null)).toBe("–");
  });

  it("shades each hour of the week by its share of the busiest", () => {
    const grid = heatGrid([
      { weekday: 1, hour: 9, inbound: 3, outbound: 1 },
      { weekday: 7, hour: 23, inbound: 1, outbound: 1 },
    ]);
    expect(grid).toHaveLength(7);
    expect(grid[0]?.[9]).toEqual({ total: 4, level: 1 });
    expect(grid[6]?.[23]).toEqual({ total: 2, level: 0.5 });
    expect(grid[3]?.[12]).toEqual({ total: 0, level: 0 });
    expect(heatGrid([])[0]?.[0]).toEqual({ total: 0, level: 0 });
    expect(highest([])).toBe(1);
    expect(highest([{ inbound: 2, outbound: 5 }])).toBe(5);
  });
});
