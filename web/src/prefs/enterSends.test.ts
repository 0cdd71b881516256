import { describe, expect, it } from "vitest";
import { sendsOnKey } from "./enterSends";

const key = (over: Partial<Parameters<typeof sendsOnKey>[0]>) => ({
  key: "Enter",
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  isComposing: false,
  ...over,
});

describe("the key that sends", () => {
  it("is Enter by default, Shift+Enter starting a new line", () => {
    expect(sendsOnKey(key({}), true)).toBe(true);
    expect(sendsOnKey(key({ shiftKey: true }), true)).toBe(false);
    expect(sendsOnKey(key({ key: "a" }), true)).toBe(false);
  });

  it("is Ctrl+Enter or Cmd+Enter when Enter starts a new line", () => {
    expect(sendsOnKey(key({}), false)).toBe(false);
    expect(sendsOnKey(key({ ctrlKey: true }), false)).toBe(true);
    expect(sendsOnKey(key({ metaKey: true }), false)).toBe(true);
  });

  it("never sends while an input method is composing", () => {
    expect(sendsOnKey(key({ isComposing: true }), true)).toBe(false);
    expect(sendsOnKey(key({ isComposing: true, ctrlKey: true }), false)).toBe(false);
  });
});
