import { describe, expect, it } from "vitest";
import { EVERY_NUMBER, notifies, parseChoice, serializeChoice, switchNumber } from "./notifyChoice";

describe("which numbers notify", () => {
  it("is none at first, and reads back what was kept", () => {
    expect(notifies(parseChoice(null), "111")).toBe(false);
    expect(notifies(parseChoice("not json"), "111")).toBe(false);
    const kept = serializeChoice(new Set(["222", "111"]));
    expect(kept).toBe('["111","222"]');
    expect(notifies(parseChoice(kept), "222")).toBe(true);
    expect(notifies(parseChoice(kept), "333")).toBe(false);
  });

  it("keeps the old single switch as every number", () => {
    expect(notifies(parseChoice("on"), "999")).toBe(true);
    expect(notifies(parseChoice("off"), "999")).toBe(false);
  });

  it("switches one number, and names every number once all are on", () => {
    const all = ["111", "222"];
    const one = switchNumber(new Set(), "111", true, all);
    expect([...one]).toEqual(["111"]);
    const both = switchNumber(one, "222", true, all);
    expect([...both]).toEqual([EVERY_NUMBER]);
    // A number added later notifies too, until one is switched off.
    expect(notifies(both, "333")).toBe(true);
    const less = switchNumber(both, "111", false, all);
    expect([...less]).toEqual(["222"]);
  });
});
