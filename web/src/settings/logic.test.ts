import { describe, expect, it } from "vitest";
import type { Account, Me } from "../api/client";
import {
  groupPermissions,
  grantsToRows,
  heldPermissions,
  mayAddNumber,
  newNumberBody,
  numberForm,
  numberPatch,
  overridesToRows,
  passwordProblem,
  rowsToGrants,
  rowsToOverrides,
  sectionsFor,
  tokenBody,
  tokenProblem,
  toggle,
  validRoleName,
} from "./logic";

const user = { id: "u1", email: "cy@example.com", active: true, roles: [], overrides: [] };

function me(permissions: string[], accounts: Record<string, string[]> = {}, via = "session"): Me {
  return {
    user,
    authenticated_by: via,
    permissions,
    accounts: Object.entries(accounts).map(([account_id, p]) => ({ account_id, permissions: p })),
  };
}

const account: Account = {
  id: "1122334455667",
  name: "Shop",
  phone_number: "+15550001",
  meta_app_id: null,
  business_account_id: "2233",
  configured: true,
  first_seen_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  has_access_token: true,
  has_verify_token: false,
  has_app_secret: true,
};

const catalogue = [
  { name: "messages.send", account_scoped: true },
  { name: "users.manage", account_scoped: false },
];

describe("sections", () => {
  it("follows the permissions each section's API needs", () => {
    expect(sectionsFor(me(["users.manage", "roles.manage"], { a: ["accounts.manage"] }))).toEqual([
      "numbers",
      "users",
      "roles",
      "tokens",
      "account",
    ]);
    expect(sectionsFor(me([], { a: ["conversations.view", "accounts.view"] }))).toEqual(["tokens", "account"]);
    expect(sectionsFor(me(["teams.manage", "labels.manage"], { a: ["replies.manage"] }))).toEqual([
      "teams",
      "labels",
      "replies",
      "tokens",
      "account",
    ]);
  });

  it("has no own account for the operator token, and everything else", () => {
    expect(sectionsFor({ authenticated_by: "operator", permissions: [], accounts: [] })).toEqual([
      "numbers",
      "users",
      "roles",
      "teams",
      "labels",
      "replies",
      "tokens",
    ]);
  });

  it("adds a number only for whoever manages every number", () => {
    const accounts = [{ id: "a" }, { id: "b" }];
    expect(mayAddNumber(me([], { a: ["accounts.manage"], b: ["accounts.manage"] }), accounts)).toBe(true);
    expect(mayAddNumber(me([], { a: ["accounts.manage"], b: ["accounts.view"] }), accounts)).toBe(false);
    expect(mayAddNumber(me([], {}), [])).toBe(false);
  });
});

describe("permission groups", () => {
  it("keeps the groups' order, leaves out empty groups and puts unknown permissions last", () => {
    expect(groupPermissions(["users.manage", "zeta.new", "messages.send", "conversations.view"])).toEqual([
      { id: "conversations", permissions: ["conversations.view", "messages.send"] },
      { id: "administration", permissions: ["users.manage"] },
      { id: "other", permissions: ["zeta.new"] },
    ]);
  });

  it("toggles a permission in and out, in order, once", () => {
    const on = toggle(["users.manage"], "conversations.view", true);
    expect(on).toEqual(["conversations.view", "users.manage"]);
    expect(toggle(on, "conversations.view", true)).toEqual(on);
    expect(toggle(on, "users.manage", false)).toEqual(["conversations.view"]);
  });

  it("offers a token only what the caller holds somewhere", () => {
    const held = heldPermissions(me(["users.manage"], { a: ["messages.send"] }), ["messages.send", "users.manage", "roles.manage"]);
    expect(held).toEqual(["messages.send", "users.manage"]);
  });
});

describe("roles and overrides forms", () => {
  it("round-trips grants, everywhere as no account", () => {
    const grants = [{ role: "agent" }, { role: "night", account: "1122334455667" }];
    expect(rowsToGrants(grantsToRows(grants))).toEqual(grants);
  });

  it("drops unfinished rows and repeated grants", () => {
    expect(
      rowsToGrants([
        { role: "", account: "" },
        { role: "agent", account: "a" },
        { role: "agent", account: "a" },
        { role: "agent", account: "" },
      ]),
    ).toEqual([{ role: "agent", account: "a" }, { role: "agent" }]);
  });

  it("round-trips overrides", () => {
    const overrides = [
      { permission: "messages.send", effect: "deny", account: "a" },
      { permission: "users.manage", effect: "allow" },
    ];
    expect(rowsToOverrides(overridesToRows(overrides), catalogue)).toEqual(overrides);
  });

  it("never scopes an install-wide permission to one number, and the last row for a permission and place wins", () => {
    expect(
      rowsToOverrides(
        [
          { permission: "users.manage", effect: "allow", account: "a" },
          { permission: "messages.send", effect: "allow", account: "a" },
          { permission: "messages.send", effect: "deny", account: "a" },
          { permission: "", effect: "deny", account: "" },
        ],
        catalogue,
      ),
    ).toEqual([
      { permission: "users.manage", effect: "allow" },
      { permission: "messages.send", effect: "deny", account: "a" },
    ]);
  });
});

describe("numbers form", () => {
  it("never fills in a secret, and sends only what changed", () => {
    const form = numberForm(account);
    expect(form.access_token).toBe("");
    expect(numberPatch(account, form)).toEqual({});
    expect(numberPatch(account, { ...form, name: " Shop 2 ", business_account_id: "", app_secret: "s3cret" })).toEqual({
      name: "Shop 2",
      business_account_id: "",
      app_secret: "s3cret",
    });
  });

  it("leaves blank fields out of a new number", () => {
    expect(newNumberBody({ ...numberForm(), phone_number_id: " 42 ", name: "New", access_token: "tok" })).toEqual({
      phone_number_id: "42",
      name: "New",
      access_token: "tok",
    });
  });
});

describe("rules checked before sending", () => {
  it("follows the server's password rules", () => {
    expect(passwordProblem("short")).toBe("tooShort");
    expect(passwordProblem("aaaaaaaaaaaa")).toBe("repeated");
    expect(passwordProblem("é".repeat(300))).toBe("tooLong");
    expect(passwordProblem("correct horse")).toBeNull();
  });

  it("follows the server's role names", () => {
    expect(validRoleName("night-shift_2")).toBe(true);
    expect(validRoleName("Night")).toBe(false);
    expect(validRoleName("")).toBe(false);
    expect(validRoleName("a".repeat(41))).toBe(false);
  });

  it("checks a token's name, expiry and permissions, and gives all held permissions by default", () => {
    const form = { name: "ci", days: "", permissions: null, accounts: null };
    expect(tokenProblem({ ...form, name: " " })).toBe("name");
    expect(tokenProblem({ ...form, days: "0" })).toBe("days");
    expect(tokenProblem({ ...form, days: "1.5" })).toBe("days");
    expect(tokenProblem({ ...form, days: "3651" })).toBe("days");
    expect(tokenProblem({ ...form, permissions: [] })).toBe("permissions");
    expect(tokenProblem({ ...form, accounts: [] })).toBe("accounts");
    expect(tokenProblem({ ...form, days: "30", permissions: ["messages.send"], accounts: ["a"] })).toBeNull();
    expect(tokenBody({ ...form, name: " ci " }, ["users.manage", "messages.send"])).toEqual({
      name: "ci",
      permissions: ["messages.send", "users.manage"],
    });
    expect(tokenBody({ ...form, days: "30", permissions: ["messages.send"], accounts: ["b", "a"] }, [])).toEqual({
      name: "ci",
      permissions: ["messages.send"],
      expires_in_days: 30,
      accounts: ["a", "b"],
    });
  });
});
