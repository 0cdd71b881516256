import { describe, expect, it } from "vitest";
import { causeOf, eventAt, shortHash } from "./audit";

describe("an audit event", () => {
  it("says who caused it", () => {
    expect(causeOf({ caused_by: { kind: "user", user_id: "u1" } })).toEqual({ kind: "user", user: "u1" });
    expect(causeOf({ caused_by: { kind: "webhook", request_id: "r1" } })).toEqual({ kind: "webhook", request: "r1" });
    expect(causeOf({ caused_by: { kind: "bot" } })).toEqual({ kind: "bot" });
    expect(causeOf({ caused_by: { kind: "system", reason: "sender" } })).toEqual({ kind: "system", reason: "sender" });
  });

  it("reads metadata it does not know as unknown", () => {
    expect(causeOf(null)).toEqual({ kind: "unknown" });
    expect(causeOf({ caused_by: "x" })).toEqual({ kind: "unknown" });
    expect(causeOf({ caused_by: { kind: "user" } })).toEqual({ kind: "unknown" });
  });

  it("shortens its hash", () => {
    expect(shortHash("a".repeat(64))).toBe("aaaaaaaa…aaaaaa");
    expect(shortHash("abc")).toBe("abc");
  });

  it("finds the event a moment falls on", () => {
    const events = [{ recorded_at: "2026-01-01T10:00:00Z" }, { recorded_at: "2026-01-01T11:00:00Z" }];
    expect(eventAt(events, "2026-01-01T09:00:00Z")).toBe(-1);
    expect(eventAt(events, "2026-01-01T10:00:00Z")).toBe(0);
    expect(eventAt(events, "2026-01-01T10:30:00Z")).toBe(0);
    expect(eventAt(events, "2026-01-01T12:00:00Z")).toBe(1);
  });
});
