import { describe, expect, it } from "vitest";
import { ApiError, unwrap } from "../api/client";
import { translate } from "../i18n/i18n";
import {
  adviceFor,
  limitText,
  messagingLimitOf,
  qualityOf,
  templateStatusOf,
  throughputOf,
  tokenState,
} from "./meta";

describe("Meta's codes in words", () => {
  it("says the quality rating in words, with a tone for its colour", () => {
    expect(qualityOf("GREEN")).toEqual({ key: "numbers.quality.GREEN", raw: "GREEN", tone: "good" });
    expect(qualityOf("yellow")?.tone).toBe("warn");
    expect(qualityOf("RED")?.tone).toBe("bad");
    expect(translate("en", qualityOf("RED")!.key!)).toBe("Low (red)");
    expect(qualityOf(null)).toBeNull();
    // A code Meta adds later shows as written.
    expect(qualityOf("PURPLE")).toEqual({ key: null, raw: "PURPLE", tone: "neutral" });
  });

  it("reads the messaging limit tier as a number of customers a day", () => {
    expect(messagingLimitOf("TIER_1K")).toEqual({ count: 1000 });
    expect(messagingLimitOf("TIER_UNLIMITED")).toEqual({ count: null });
    expect(messagingLimitOf("TIER_9")).toBeNull();
    const t = (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) => translate("en", key, vars);
    expect(limitText(100000, t, "en-GB")).toBe("100,000 customers a day for conversations the business starts");
  });

  it("reads the throughput level from Meta's object", () => {
    expect(throughputOf({ level: "HIGH" })?.key).toBe("numbers.throughput.HIGH");
    expect(throughputOf(null)).toBeNull();
  });

  it("says a template's review status", () => {
    expect(templateStatusOf("PENDING")?.tone).toBe("warn");
    expect(templateStatusOf("REJECTED")?.key).toBe("numbers.templateStatus.REJECTED");
  });
});

describe("the token check", () => {
  const now = new Date("2026-06-01T12:00:00Z");
  it("never expires when Meta says 0", () => {
    expect(tokenState({ is_valid: true, expires_at: 0 }, now)).toEqual({ state: "valid", expiresAt: null });
  });
  it("is expired past its date even if Meta's answer is older", () => {
    const past = Math.floor(new Date("2026-05-01T00:00:00Z").getTime() / 1000);
    expect(tokenState({ is_valid: true, expires_at: past }, now).state).toBe("expired");
  });
  it("is invalid when Meta says so", () => {
    expect(tokenState({ is_valid: false }, now).state).toBe("invalid");
  });
});

describe("what to do after a failure", () => {
  const refused = (code: string, status: number, details: unknown = null) => new ApiError(status, code, "x", details);
  it("follows the server's code", () => {
    expect(adviceFor(refused("business_account_not_configured", 409))).toBe("numbers.advice.businessAccount");
    expect(adviceFor(refused("account_not_connected", 409))).toBe("numbers.advice.token");
    expect(adviceFor(refused("meta_unavailable", 502))).toBe("numbers.advice.metaDown");
    expect(adviceFor(new TypeError("Failed to fetch"))).toBe("numbers.advice.network");
  });
  it("follows Meta's code for a refusal", () => {
    expect(adviceFor(refused("meta_refused", 422, { code: 190 }))).toBe("numbers.advice.token");
    expect(adviceFor(refused("meta_refused", 422, { code: 80008 }))).toBe("numbers.advice.wait");
    expect(adviceFor(refused("meta_refused", 422, { code: 100 }))).toBe("numbers.advice.fields");
  });
  it("keeps the details of the error body", () => {
    const body = { error: { code: "meta_refused", message: "Invalid parameter", details: { code: 100 } } };
    const answer = { error: body, response: new Response(null, { status: 422 }) };
    expect(() => unwrap(answer)).toThrow("Invalid parameter");
    try {
      unwrap(answer);
    } catch (e) {
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).details).toEqual({ code: 100 });
    }
  });
});
