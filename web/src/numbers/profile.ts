import type { Schemas } from "../api/client";
import type { MessageKey } from "../i18n/en";
import type { Problem } from "./templateDraft";

type BusinessProfile = Schemas["BusinessProfile"];
type ProfileUpdate = Schemas["ProfileUpdate"];

/** Meta's limits on the business profile (the server enforces `about` and the two websites). */
export const PROFILE_LIMITS = { about: 139, address: 256, description: 512, email: 128, website: 256 } as const;

/** The business categories Meta offers, as it names them. */
export const VERTICALS = [
  "OTHER",
  "AUTO",
  "BEAUTY",
  "APPAREL",
  "EDU",
  "ENTERTAIN",
  "EVENT_PLAN",
  "FINANCE",
  "GROCERY",
  "GOVT",
  "HOTEL",
  "HEALTH",
  "NONPROFIT",
  "PROF_SERVICES",
  "RETAIL",
  "TRAVEL",
  "RESTAURANT",
  "NOT_A_BIZ",
] as const;

export function verticalKey(vertical: string): MessageKey | null {
  return (VERTICALS as readonly string[]).includes(vertical) ? (`numbers.vertical.${vertical}` as MessageKey) : null;
}

/** The profile as the form holds it: every field a string, two website fields. */
export interface ProfileDraft {
  about: string;
  address: string;
  description: string;
  email: string;
  websites: [string, string];
  vertical: string;
}

export function profileDraft(profile: BusinessProfile): ProfileDraft {
  const websites = profile.websites ?? [];
  return {
    about: profile.about ?? "",
    address: profile.address ?? "",
    description: profile.description ?? "",
    email: profile.email ?? "",
    websites: [websites[0] ?? "", websites[1] ?? ""],
    vertical: profile.vertical ?? "",
  };
}

function length(text: string): number {
  return [...text].length;
}

/** What Meta would refuse in the draft, field by field (`website.1` for the second website). */
export function profileProblems(draft: ProfileDraft): Problem[] {
  const problems: Problem[] = [];
  const tooLong = (field: keyof typeof PROFILE_LIMITS, value: string, name: string = field) => {
    if (length(value) > PROFILE_LIMITS[field]) problems.push({ field: name, key: "numbers.problem.tooLong", vars: { max: PROFILE_LIMITS[field] } });
  };
  if (draft.about.trim() === "") problems.push({ field: "about", key: "numbers.problem.required" });
  tooLong("about", draft.about);
  tooLong("address", draft.address);
  tooLong("description", draft.description);
  const email = draft.email.trim();
  if (email !== "" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) problems.push({ field: "email", key: "numbers.problem.email" });
  tooLong("email", email);
  draft.websites.forEach((site, i) => {
    const url = site.trim();
    if (url === "") return;
    if (!/^https?:\/\/[^\s/]+\.[^\s]+$/.test(url)) problems.push({ field: `website.${i}`, key: "numbers.problem.website" });
    tooLong("website", url, `website.${i}`);
  });
  return problems;
}

/**
 * Only what changed, so a save does not rewrite what someone else changed meanwhile in Meta's Business
 * Manager. A field emptied is sent empty (Meta removes it); empty when nothing changed.
 */
export function profileChanges(before: BusinessProfile, draft: ProfileDraft): ProfileUpdate {
  const was = profileDraft(before);
  const changes: ProfileUpdate = {};
  for (const field of ["about", "address", "description", "email", "vertical"] as const) {
    const value = draft[field].trim();
    if (value !== was[field].trim()) changes[field] = value;
  }
  const websites = draft.websites.map((w) => w.trim()).filter((w) => w !== "");
  const previous = was.websites.map((w) => w.trim()).filter((w) => w !== "");
  if (websites.join("\n") !== previous.join("\n")) changes.websites = websites;
  return changes;
}
