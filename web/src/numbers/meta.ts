import { ApiError } from "../api/client";
import type { Account } from "../api/client";
import type { MessageKey } from "../i18n/en";
import type { Translate } from "../i18n/i18n";

/**
 * What Meta's codes mean to a person: each status the Graph API reports becomes words and a tone. The
 * tone only colours the words (never colour alone); an unknown code shows as Meta wrote it.
 */
export type Tone = "good" | "warn" | "bad" | "neutral";

export interface Said {
  /** The words, or null when Meta sent a code this version does not know (show `raw`). */
  key: MessageKey | null;
  raw: string;
  tone: Tone;
}

function lookup(table: Record<string, [MessageKey, Tone]>, code: string | null | undefined): Said | null {
  if (!code) return null;
  const known = table[code.toUpperCase()];
  return known ? { key: known[0], raw: code, tone: known[1] } : { key: null, raw: code, tone: "neutral" };
}

const QUALITY: Record<string, [MessageKey, Tone]> = {
  GREEN: ["numbers.quality.GREEN", "good"],
  YELLOW: ["numbers.quality.YELLOW", "warn"],
  RED: ["numbers.quality.RED", "bad"],
  UNKNOWN: ["numbers.quality.UNKNOWN", "neutral"],
  NA: ["numbers.quality.UNKNOWN", "neutral"],
};

/** The number's quality rating (`GREEN`, `YELLOW`, `RED`), in words. */
export function qualityOf(rating: string | null | undefined): Said | null {
  return lookup(QUALITY, rating);
}

const QUALITY_EVENT: Record<string, [MessageKey, Tone]> = {
  FLAGGED: ["numbers.event.FLAGGED", "bad"],
  UNFLAGGED: ["numbers.event.UNFLAGGED", "good"],
  UPGRADE: ["numbers.event.UPGRADE", "good"],
  DOWNGRADE: ["numbers.event.DOWNGRADE", "bad"],
  THROUGHPUT_UPGRADE: ["numbers.event.THROUGHPUT_UPGRADE", "good"],
  ONBOARDING: ["numbers.event.ONBOARDING", "neutral"],
};

/** Meta's latest quality webhook for the number (`FLAGGED`, `UPGRADE`, …), in words. */
export function qualityEventOf(event: string | null | undefined): Said | null {
  return lookup(QUALITY_EVENT, event);
}

const STATUS: Record<string, [MessageKey, Tone]> = {
  CONNECTED: ["numbers.status.CONNECTED", "good"],
  PENDING: ["numbers.status.PENDING", "warn"],
  DISCONNECTED: ["numbers.status.DISCONNECTED", "bad"],
  FLAGGED: ["numbers.status.FLAGGED", "bad"],
  RESTRICTED: ["numbers.status.RESTRICTED", "bad"],
  RATE_LIMITED: ["numbers.status.RATE_LIMITED", "warn"],
  BANNED: ["numbers.status.BANNED", "bad"],
  DELETED: ["numbers.status.DELETED", "bad"],
  MIGRATED: ["numbers.status.MIGRATED", "neutral"],
  UNVERIFIED: ["numbers.status.UNVERIFIED", "warn"],
};

/** Whether the number is registered and can send (`CONNECTED`), in words. */
export function registrationOf(status: string | null | undefined): Said | null {
  return lookup(STATUS, status);
}

const NAME_STATUS: Record<string, [MessageKey, Tone]> = {
  APPROVED: ["numbers.name.APPROVED", "good"],
  AVAILABLE_WITHOUT_REVIEW: ["numbers.name.AVAILABLE_WITHOUT_REVIEW", "good"],
  PENDING_REVIEW: ["numbers.name.PENDING_REVIEW", "warn"],
  DECLINED: ["numbers.name.DECLINED", "bad"],
  EXPIRED: ["numbers.name.EXPIRED", "bad"],
  NONE: ["numbers.name.NONE", "neutral"],
};

/** Meta's review of the number's display name, in words. */
export function nameStatusOf(status: string | null | undefined): Said | null {
  return lookup(NAME_STATUS, status);
}

const VERIFICATION: Record<string, [MessageKey, Tone]> = {
  VERIFIED: ["numbers.verification.VERIFIED", "good"],
  NOT_VERIFIED: ["numbers.verification.NOT_VERIFIED", "warn"],
  UNVERIFIED: ["numbers.verification.NOT_VERIFIED", "warn"],
  PENDING: ["numbers.verification.PENDING", "warn"],
  PENDING_SUBMISSION: ["numbers.verification.PENDING", "warn"],
  PENDING_NEED_MORE_INFO: ["numbers.verification.MORE_INFO", "warn"],
  REJECTED: ["numbers.verification.REJECTED", "bad"],
  FAILED: ["numbers.verification.REJECTED", "bad"],
  EXPIRED: ["numbers.verification.EXPIRED", "bad"],
  REVOKED: ["numbers.verification.EXPIRED", "bad"],
};

/** Meta's verification of the business behind the account (`verified`, `pending`, …), in words. */
export function verificationOf(status: string | null | undefined): Said | null {
  return lookup(VERIFICATION, status);
}

const REVIEW: Record<string, [MessageKey, Tone]> = {
  APPROVED: ["numbers.review.APPROVED", "good"],
  PENDING: ["numbers.review.PENDING", "warn"],
  REJECTED: ["numbers.review.REJECTED", "bad"],
};

/** Meta's review of the WhatsApp Business Account itself, in words. */
export function accountReviewOf(status: string | null | undefined): Said | null {
  return lookup(REVIEW, status);
}

const THROUGHPUT: Record<string, [MessageKey, Tone]> = {
  STANDARD: ["numbers.throughput.STANDARD", "neutral"],
  HIGH: ["numbers.throughput.HIGH", "good"],
  NOT_APPLICABLE: ["numbers.throughput.NOT_APPLICABLE", "neutral"],
};

/** The number's throughput (`{"level": "STANDARD"}`), in words. */
export function throughputOf(throughput: unknown): Said | null {
  const level =
    typeof throughput === "object" && throughput !== null && "level" in throughput
      ? (throughput as { level?: unknown }).level
      : throughput;
  return typeof level === "string" ? lookup(THROUGHPUT, level) : null;
}

const TIERS: Record<string, number> = {
  TIER_50: 50,
  TIER_250: 250,
  TIER_1K: 1_000,
  TIER_2K: 2_000,
  TIER_10K: 10_000,
  TIER_100K: 100_000,
};

/**
 * The messaging limit tier: how many customers a day the business may start conversations with.
 * `count` is null for the unlimited tier; the whole is null for a tier this version does not know.
 */
export function messagingLimitOf(tier: string | null | undefined): { count: number | null } | null {
  if (!tier) return null;
  const code = tier.toUpperCase();
  if (code === "TIER_UNLIMITED" || code === "UNLIMITED") return { count: null };
  const count = TIERS[code];
  return count === undefined ? null : { count };
}

const TEMPLATE_STATUS: Record<string, [MessageKey, Tone]> = {
  APPROVED: ["numbers.templateStatus.APPROVED", "good"],
  PENDING: ["numbers.templateStatus.PENDING", "warn"],
  IN_APPEAL: ["numbers.templateStatus.IN_APPEAL", "warn"],
  REJECTED: ["numbers.templateStatus.REJECTED", "bad"],
  PAUSED: ["numbers.templateStatus.PAUSED", "warn"],
  DISABLED: ["numbers.templateStatus.DISABLED", "bad"],
  LIMIT_EXCEEDED: ["numbers.templateStatus.LIMIT_EXCEEDED", "bad"],
  PENDING_DELETION: ["numbers.templateStatus.PENDING_DELETION", "neutral"],
  DELETED: ["numbers.templateStatus.DELETED", "neutral"],
  ARCHIVED: ["numbers.templateStatus.ARCHIVED", "neutral"],
};

/** The statuses the template list can be filtered by, as Meta names them. */
export const TEMPLATE_FILTERS = ["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"] as const;

/** A template's review status, in words. */
export function templateStatusOf(status: string | null | undefined): Said | null {
  return lookup(TEMPLATE_STATUS, status);
}

/** A Graph field this version's schema does not name yet, read defensively (Meta adds fields). */
export function extraText(object: object, field: string): string | null {
  const value = (object as Record<string, unknown>)[field];
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

/** The words for Meta's rejection reason (`INVALID_FORMAT`, `TAG_CONTENT_MISMATCH`, …). */
export function rejectionReasonKey(reason: string): MessageKey | null {
  const known: Record<string, MessageKey> = {
    ABUSIVE_CONTENT: "numbers.reason.ABUSIVE_CONTENT",
    INVALID_FORMAT: "numbers.reason.INVALID_FORMAT",
    PROMOTIONAL: "numbers.reason.PROMOTIONAL",
    TAG_CONTENT_MISMATCH: "numbers.reason.TAG_CONTENT_MISMATCH",
    SCAM: "numbers.reason.SCAM",
  };
  return known[reason.toUpperCase()] ?? null;
}

export type TokenState = "valid" | "expired" | "invalid";

/**
 * What a token check means: valid, invalid, or valid by Meta's word but past its expiry (`expires_at`, Unix
 * seconds, 0 for never). `expiresAt` is null when it never expires.
 */
export function tokenState(info: { is_valid: boolean; expires_at?: number | null }, now: Date): { state: TokenState; expiresAt: Date | null } {
  const seconds = info.expires_at ?? 0;
  const expiresAt = seconds > 0 ? new Date(seconds * 1000) : null;
  if (!info.is_valid) return { state: "invalid", expiresAt };
  if (expiresAt && expiresAt.getTime() <= now.getTime()) return { state: "expired", expiresAt };
  return { state: "valid", expiresAt };
}

/** The Graph error code the server passed on with a Meta refusal (`details.code`), when there is one. */
export function metaCode(error: unknown): number | null {
  if (!(error instanceof ApiError)) return null;
  const details = error.details;
  const code = typeof details === "object" && details !== null ? (details as { code?: unknown }).code : undefined;
  return typeof code === "number" ? code : null;
}

/**
 * What the user can do about a failed call, from the server's code (and Meta's, for a refusal): set up
 * the number, renew the token, wait, or fix the fields.
 */
export function adviceFor(error: unknown): MessageKey {
  if (error instanceof TypeError) return "numbers.advice.network";
  if (!(error instanceof ApiError)) return "numbers.advice.default";
  switch (error.code) {
    case "business_account_not_configured":
      return "numbers.advice.businessAccount";
    case "account_not_connected":
      return "numbers.advice.token";
    case "meta_unavailable":
      return "numbers.advice.metaDown";
    case "forbidden":
      return "numbers.advice.forbidden";
    case "not_found":
      return "numbers.advice.notFound";
  }
  if (error.status === 429) return "numbers.advice.wait";
  if (error.code === "meta_refused") {
    const code = metaCode(error);
    if (code === 190 || code === 102 || code === 10 || code === 200) return "numbers.advice.token";
    if (code === 4 || code === 80007 || code === 80008 || code === 130429) return "numbers.advice.wait";
    return "numbers.advice.fields";
  }
  if (error.status === 400 || error.status === 422) return "numbers.advice.fields";
  if (error.status >= 500) return "numbers.advice.metaDown";
  return "numbers.advice.default";
}

/** The messaging limit: Meta's live answer when it has one (`messaging_limit_tier`), else its last webhook. */
export function limitTier(account: Account, live: object | undefined): string | null {
  const tier = live ? (live as Record<string, unknown>).messaging_limit_tier : undefined;
  return typeof tier === "string" ? tier : (account.messaging_limit ?? null);
}

export function limitText(count: number | null, t: Translate, locale: string): string {
  return count === null ? t("numbers.limit.unlimited") : t("numbers.limit.count", { count: count.toLocaleString(locale) });
}

