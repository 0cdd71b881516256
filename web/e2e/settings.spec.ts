import type { Browser, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import AxeBuilder from "@axe-core/playwright";
import { signIn, signInAsAdmin } from "./session";

/**
 * The settings, as an admin and the people they let in use them: a role, a user holding it on the test
 * number, what that user then sees, disabling them, an API token shown once and revoked, and a user
 * changing their own password. Everything is found by role and accessible name.
 */
test.describe.configure({ mode: "serial" });

const number = "1122334455667";
const cy = { name: "Cy Night", email: "cy@example.com", password: "cy's first passphrase" };
const di = { name: "Di Day", email: "di@example.com", password: "di's first passphrase", next: "di's second passphrase" };

let admin: Page;
let cyPage: Page;

test.beforeAll(async ({ browser, baseURL }) => {
  admin = await (await browser.newContext()).newPage();
  await signInAsAdmin(admin, baseURL);
});

test.afterAll(async () => {
  await admin.context().close();
  await cyPage?.context().close();
});

/** No WCAG 2 A or AA violation that axe can find on the page as it stands. */
async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

function sections(page: Page) {
  return page.getByRole("navigation", { name: "Settings" });
}

async function openSection(page: Page, name: string) {
  await sections(page).getByRole("link", { name }).click();
  await expect(sections(page).getByRole("link", { name })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("heading", { name, level: 3 })).toBeVisible();
}

async function newSignedInPage(browser: Browser, who: { email: string; password: string }) {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, who);
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  return page;
}

test("an admin sees every section, each accessible", async () => {
  await admin.getByRole("link", { name: "Settings" }).click();
  await expect(admin).toHaveURL(/\/settings$/);
  for (const name of ["Numbers", "Users", "Roles", "API tokens", "My account"]) {
    await openSection(admin, name);
    await expect(admin).toHaveURL(/\/settings\/\w+$/);
    await expectAccessible(admin);
  }
});

test("numbers link to their Meta page; an added number shows its secret is set, never its value", async () => {
  await openSection(admin, "Numbers");
  const card = admin.getByRole("article").filter({ hasText: number }).first();
  await expect(card.getByRole("link", { name: /on Meta's side/ })).toHaveAttribute("href", `/numbers/${number}`);

  await admin.getByRole("button", { name: "Add a number" }).click();
  const form = admin.getByRole("form", { name: "Add a number" });
  await form.getByLabel("Phone-number id").fill("5550001112223");
  await form.getByLabel("Name in the inbox").fill("Night line");
  await form.getByLabel("Access token").fill("a-secret-the-page-never-shows");
  await expectAccessible(admin);
  await form.getByRole("button", { name: "Add the number" }).click();
  const added = admin.getByRole("article", { name: "Night line" });
  await expect(added).toContainText("5550001112223");
  await expect(added.getByText("Set (hidden)")).toHaveCount(1);
  await expect(admin.getByText("a-secret-the-page-never-shows")).toHaveCount(0);

  await added.getByRole("button", { name: "Edit Night line" }).click();
  const edit = admin.getByRole("form", { name: "Edit Night line" });
  await expect(edit.getByLabel("Access token (replace)")).toHaveValue("");
  await edit.getByLabel("Name in the inbox").fill("Night line 2");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(admin.getByRole("article", { name: "Night line 2" })).toContainText("Set (hidden)");
});

test("the admin creates a role and a user holding it on the test number", async () => {
  await openSection(admin, "Roles");
  await admin.getByRole("button", { name: "Create a role" }).click();
  const form = admin.getByRole("form", { name: "Create a role" });
  await form.getByLabel("Role name").fill("Night Shift");
  for (const permission of ["See conversations", "Read messages", "Send messages", "See contacts"]) {
    await form.getByRole("checkbox", { name: permission, exact: true }).check();
  }
  await form.getByRole("button", { name: "Create the role" }).click();
  // The rule is checked before anything is sent.
  await expect(form.getByRole("alert")).toContainText("lower-case");
  await form.getByLabel("Role name").fill("night-shift");
  await expectAccessible(admin);
  await form.getByRole("button", { name: "Create the role" }).click();
  const role = admin.getByRole("article", { name: "night-shift" });
  await expect(role).toContainText("Send messages");
  await expect(role).not.toContainText("Manage users");
  await expect(role).toContainText("Users holding it: 0");

  await openSection(admin, "Users");
  await admin.getByRole("button", { name: "Add a user" }).click();
  const add = admin.getByRole("form", { name: "Add a user" });
  await add.getByLabel("Name", { exact: true }).fill(cy.name);
  await add.getByLabel("Email").fill(cy.email);
  await add.getByLabel("Password").fill(cy.password);
  await add.getByLabel("Role", { exact: true }).selectOption("night-shift");
  await add.getByLabel("On", { exact: true }).selectOption(number);
  await expectAccessible(admin);
  await add.getByRole("button", { name: "Create the user" }).click();
  const card = admin.getByRole("article", { name: cy.name });
  await expect(card).toContainText(cy.email);
  await expect(card).toContainText("night-shift on");
  await expect(card).toContainText("Active");

  // The role list counts its new holder at once.
  await openSection(admin, "Roles");
  await expect(admin.getByRole("article", { name: "night-shift" })).toContainText("Users holding it: 1");
  await expect(admin.getByRole("button", { name: "Delete night-shift" })).toBeDisabled();
});

test("the user sees what the role allows, and only the settings they may use", async ({ browser }) => {
  cyPage = await newSignedInPage(browser, cy);
  await expect(cyPage.getByRole("complementary", { name: "Conversations" })).toBeVisible();
  await expect(cyPage.getByRole("button", { name: "New conversation" })).toBeVisible();
  const nav = cyPage.getByRole("navigation", { name: "Sections" });
  await expect(nav.getByRole("link", { name: "Contacts" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Numbers" })).toHaveCount(0);

  await nav.getByRole("link", { name: "Settings" }).click();
  await expect(sections(cyPage).getByRole("link")).toHaveText(["API tokens", "My account"]);
  // A section they may not use is not there even by its address.
  await cyPage.goto("/settings/users");
  await expect(cyPage.getByRole("alert")).toContainText("may not use it");
  await expect(cyPage.getByRole("heading", { name: "Users" })).toHaveCount(0);
  await openSection(cyPage, "API tokens");
  await expectAccessible(cyPage);

  // The admin lets the role see the numbers: the user sees them from their next page load.
  await openSection(admin, "Roles");
  await admin.getByRole("button", { name: "Edit night-shift" }).click();
  const edit = admin.getByRole("form", { name: "What night-shift allows" });
  await expect(edit.getByRole("checkbox", { name: "Send messages", exact: true })).toBeChecked();
  await edit.getByRole("checkbox", { name: "See numbers", exact: true }).check();
  await expectAccessible(admin);
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(admin.getByRole("article", { name: "night-shift" })).toContainText("See numbers");
  await cyPage.reload();
  await expect(cyPage.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Numbers" })).toBeVisible();
});

test("the admin gives the user an exception on the test number", async () => {
  await openSection(admin, "Users");
  await admin.getByRole("button", { name: `Roles and exceptions of ${cy.name}` }).click();
  const roles = admin.getByRole("form", { name: `Roles of ${cy.name}` });
  await expect(roles.getByLabel("Role", { exact: true })).toHaveValue("night-shift");
  await expect(roles.getByLabel("On", { exact: true })).toHaveValue(number);
  const exceptions = admin.getByRole("form", { name: `Exceptions for ${cy.name}` });
  await exceptions.getByRole("button", { name: "Add an exception" }).click();
  await exceptions.getByLabel("Permission", { exact: true }).selectOption({ label: "See audit trails" });
  await exceptions.getByLabel("Allow or deny").selectOption("allow");
  await exceptions.getByLabel("On", { exact: true }).selectOption(number);
  await expectAccessible(admin);
  await exceptions.getByRole("button", { name: "Save the exceptions" }).click();
  await expect(exceptions.getByRole("status")).toHaveText("Saved.");
  await expect(admin.getByRole("article", { name: cy.name })).toContainText("See audit trails allowed on");
});

test("an API token is shown once, works as a bearer, and stops working once revoked", async () => {
  await openSection(admin, "API tokens");
  const form = admin.getByRole("form", { name: "Create a token" });
  await form.getByLabel("Token name").fill("nightly export");
  await form.getByLabel("Expires in (days)").fill("7");
  await form.getByRole("checkbox", { name: "With all my permissions" }).uncheck();
  await form.getByRole("checkbox", { name: "See conversations", exact: true }).check();
  await form.getByRole("checkbox", { name: "On every number I may reach" }).uncheck();
  await form.getByRole("button", { name: "Create the token" }).click();
  await expect(form.getByRole("alert")).toHaveText("Pick at least one number.");
  await form.getByRole("checkbox", { name: "Night line 2 (5550001112223)" }).check();
  await form.getByRole("button", { name: "Create the token" }).click();

  const shown = admin.getByRole("region", { name: "Your new token “nightly export”" });
  await expect(shown).toContainText("shown this once and never again");
  const token = await shown.getByRole("textbox", { name: "Token" }).inputValue();
  expect(token.length).toBeGreaterThan(20);
  await expect(shown.getByRole("button", { name: "Copy the token" })).toBeEnabled();
  await expectAccessible(admin);

  const bearer = { headers: { authorization: `Bearer ${token}` } };
  const me = await admin.request.get("/api/v1/auth/me", bearer);
  expect(me.status()).toBe(200);
  const caller = (await me.json()) as { authenticated_by: string; accounts: { account_id: string; permissions: string[] }[] };
  expect(caller.authenticated_by).toBe("api_token");
  // Narrowed as asked: one permission, on one number.
  expect(caller.accounts).toEqual([{ account_id: "5550001112223", permissions: ["conversations.view"] }]);

  await shown.getByRole("button", { name: "I have copied it" }).click();
  await expect(shown).toHaveCount(0);
  const card = admin.getByRole("article", { name: "nightly export" });
  await expect(card).toContainText("Active");
  await expect(card).toContainText("See conversations");
  await expect(card).not.toContainText("Manage users");
  await expect(card).toContainText("Night line 2 (5550001112223)");
  await admin.reload();
  await expect(admin.getByRole("article", { name: "nightly export" })).toBeVisible();
  await expect(admin.getByText(token)).toHaveCount(0);
  expect(await admin.content()).not.toContain(token);

  await admin.getByRole("button", { name: "Revoke nightly export" }).click();
  const confirm = admin.getByRole("dialog", { name: "Revoke the token “nightly export”?" });
  await expect(confirm).toContainText("cannot be undone");
  await expectAccessible(admin);
  await confirm.getByRole("button", { name: "Revoke" }).click();
  await expect(admin.getByRole("article", { name: "nightly export" })).toContainText("Revoked");
  await expect(admin.getByRole("button", { name: "Revoke nightly export" })).toHaveCount(0);
  expect((await admin.request.get("/api/v1/auth/me", bearer)).status()).toBe(401);
});

test("a disabled user is sent to sign in", async () => {
  await openSection(admin, "Users");
  await admin.getByRole("button", { name: `Disable ${cy.name}` }).click();
  const confirm = admin.getByRole("dialog", { name: `Disable ${cy.name}?` });
  await expect(confirm).toContainText("signed out everywhere");
  await confirm.getByRole("button", { name: "Disable" }).click();
  const card = admin.getByRole("article", { name: cy.name });
  await expect(card).toContainText("Disabled");
  await expect(admin.getByRole("button", { name: `Enable ${cy.name}` })).toBeVisible();

  // The user's next action (creating a token) is refused and shows the sign-in screen. Their live stream
  // may end first and show it before they act: either way they end up signed out.
  const form = cyPage.getByRole("form", { name: "Create a token" });
  await form
    .getByLabel("Token name")
    .fill("after the end", { timeout: 2_000 })
    .then(() => form.getByRole("button", { name: "Create the token" }).click({ timeout: 2_000 }))
    .catch(() => undefined);
  await expect(cyPage.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expect(cyPage.getByRole("button", { name: "Sign out" })).toHaveCount(0);
});

test("a user changes their own password and signs in with the new one", async ({ browser, baseURL }) => {
  const created = await admin.request.post("/api/v1/users", {
    headers: { origin: baseURL ?? "" },
    data: { name: di.name, email: di.email, password: di.password, roles: [{ role: "viewer", account: number }] },
  });
  expect(created.ok()).toBe(true);

  const page = await newSignedInPage(browser, di);
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(sections(page).getByRole("link")).toHaveText(["API tokens", "My account"]);
  await openSection(page, "My account");
  await expect(page.getByRole("group", { name: "Language and theme" }).getByLabel("Language")).toBeVisible();
  await expectAccessible(page);
  const form = page.getByRole("form", { name: "Change my password" });
  await expect(form).toContainText("signs you out everywhere else");
  await form.getByLabel("Current password").fill(di.password);
  await form.getByLabel("New password", { exact: true }).fill("short");
  await form.getByLabel("New password, again").fill("short");
  await form.getByRole("button", { name: "Change my password" }).click();
  await expect(form.getByRole("alert")).toHaveText("A password has at least 10 characters.");

  await form.getByLabel("Current password").fill("not my password at all");
  await form.getByLabel("New password", { exact: true }).fill(di.next);
  await form.getByLabel("New password, again").fill(di.next);
  await form.getByRole("button", { name: "Change my password" }).click();
  await expect(form.getByRole("alert")).toHaveText("The current password is wrong.");
  // What was typed is kept for another try.
  await expect(form.getByLabel("New password", { exact: true })).toHaveValue(di.next);

  await form.getByLabel("Current password").fill(di.password);
  await form.getByRole("button", { name: "Change my password" }).click();
  await expect(form.getByRole("status")).toHaveText("Password changed. Your other sessions have ended.");
  await expect(form.getByLabel("Current password")).toHaveValue("");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await signIn(page, di);
  await expect(page.getByRole("alert")).toHaveText("The email or the password is wrong.");
  await signIn(page, { email: di.email, password: di.next });
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await page.context().close();
});

test("on a phone the section list and a section take the screen in turn", async () => {
  await admin.setViewportSize({ width: 390, height: 800 });
  await admin.goto("/settings");
  await expect(sections(admin)).toBeVisible();
  await expect(admin.getByRole("link", { name: "Back to the settings" })).toBeHidden();
  await sections(admin).getByRole("link", { name: "Roles" }).click();
  await expect(admin.getByRole("heading", { name: "Roles", level: 3 })).toBeVisible();
  await expect(sections(admin)).toBeHidden();
  await expectAccessible(admin);
  await admin.getByRole("link", { name: "Back to the settings" }).click();
  await expect(sections(admin)).toBeVisible();
  await expect(admin.getByRole("heading", { name: "Roles", level: 3 })).toBeHidden();
});
