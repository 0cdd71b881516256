import { describe, expect, it } from "vitest";
import { profileChanges, profileDraft, profileProblems } from "./profile";

const profile = {
  about: "Watches, bought and sold",
  address: "1 Loopback Lane",
  email: "shop@example.com",
  websites: ["https://example.com"],
  vertical: "RETAIL",
};

describe("the business profile form", () => {
  it("starts from what Meta has, with two website fields", () => {
    expect(profileDraft(profile)).toEqual({ ...profile, description: "", websites: ["https://example.com", ""] });
  });

  it("keeps to Meta's limits", () => {
    const draft = profileDraft(profile);
    expect(profileProblems(draft)).toEqual([]);
    expect(profileProblems({ ...draft, about: "x".repeat(140) }).map((p) => p.field)).toEqual(["about"]);
    expect(profileProblems({ ...draft, about: " " }).map((p) => p.key)).toEqual(["numbers.problem.required"]);
    expect(profileProblems({ ...draft, email: "shop" }).map((p) => p.key)).toEqual(["numbers.problem.email"]);
    expect(profileProblems({ ...draft, websites: ["https://a.example", "b.example"] }).map((p) => p.field)).toEqual(["website.1"]);
    expect(profileProblems({ ...draft, description: "d".repeat(513) }).map((p) => p.field)).toEqual(["description"]);
  });

  it("sends only what changed, an emptied field as empty", () => {
    const draft = profileDraft(profile);
    expect(profileChanges(profile, draft)).toEqual({});
    expect(profileChanges(profile, { ...draft, about: "New about " })).toEqual({ about: "New about" });
    expect(profileChanges(profile, { ...draft, address: "" })).toEqual({ address: "" });
    expect(profileChanges(profile, { ...draft, websites: ["", "https://b.example"] })).toEqual({ websites: ["https://b.example"] });
    expect(profileChanges(profile, { ...draft, websites: ["", ""] })).toEqual({ websites: [] });
  });
});
