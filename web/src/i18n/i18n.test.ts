import { describe, expect, it } from "vitest";
import { initialLanguage, translate } from "./i18n";

describe("language", () => {
  it("follows the browser when nothing was chosen", () => {
    expect(initialLanguage(null, ["fr-FR", "en"])).toBe("fr");
    expect(initialLanguage(null, ["de-DE", "en-GB"])).toBe("en");
    expect(initialLanguage(null, ["de-DE"])).toBe("en");
  });

  it("keeps the choice made", () => {
    expect(initialLanguage("fr", ["en-US"])).toBe("fr");
  });

  it("fills in the variables", () => {
    expect(translate("fr", "inbox.unread", { count: 3 })).toBe("3 non lus");
    expect(translate("en", "composer.windowOpen", { time: "14:32" })).toBe("Replies are free until 14:32.");
  });
});
