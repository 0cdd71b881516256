import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import AxeBuilder from "@axe-core/playwright";
import { signIn, signInAsAdmin } from "./session";

/**
 * Team work, as two people do it: the admin makes a label and a canned reply, a customer writes, the admin
 * assigns the conversation to a colleague; the colleague finds it under "Mine", labels it, answers with
 * the canned reply through the `/` picker (wa-sim receives it with the placeholders filled) and resolves
 * it, and it leaves the open view; the admin's private note mentioning the colleague shows as a note and
 * tells them, and never reaches wa-sim. Every element is found by its role and accessible name.
 */
test.describe.configure({ mode: "serial" });

const sim = process.env.E2E_SIM_URL ?? "http://127.0.0.1:8900";
const customer = { waId: "447700900731", name: "Tess Team" };
const colleague = { email: "teo@example.com", password: "a colleague's passphrase", name: "Teo Teammate" };

let admin: Page;
let cy: Page;

test.beforeAll(async ({ browser }) => {
  admin = await (await browser.newContext()).newPage();
  cy = await (await browser.newContext()).newPage();
});

test.afterAll(async () => {
  await admin.context().close();
  await cy.context().close();
});

/** No WCAG 2 A or AA violation that axe can find on the page as it stands. */
async function expectAccessible(on: Page) {
  const results = await new AxeBuilder({ page: on }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

function conversations(on: Page) {
  return on.getByRole("list", { name: "Conversations" });
}

test("the admin makes a label and a canned reply", async ({ baseURL }) => {
  await signInAsAdmin(admin, baseURL);
  await admin.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
  await admin.getByRole("link", { name: "Labels" }).click();
  await admin.getByRole("button", { name: "Add a label" }).click();
  const labelForm = admin.getByRole("form", { name: "Add a label" });
  await labelForm.getByLabel("Label name").fill("VIP");
  await labelForm.getByLabel("Colour").fill("#ffd54f");
  await labelForm.getByRole("button", { name: "Create the label" }).click();
  await expect(admin.getByRole("article", { name: "VIP" })).toBeVisible();
  await expectAccessible(admin);

  await admin.getByRole("link", { name: "Canned replies" }).click();
  await admin.getByRole("button", { name: "Add a canned reply" }).click();
  const replyForm = admin.getByRole("form", { name: "Add a canned reply" });
  await replyForm.getByLabel("Shortcut").fill("thanks");
  await replyForm.getByLabel("Text").fill("Thank you {{contact_name}}! {{agent_name}} of {{number_name}} will ship it today.");
  await expect(replyForm.getByLabel("For")).toHaveValue("");
  await replyForm.getByRole("button", { name: "Create the reply" }).click();
  await expect(admin.getByRole("article", { name: "/thanks" })).toContainText("Thank you {{contact_name}}!");
  await expectAccessible(admin);
});

test("the admin assigns a customer's conversation to a colleague", async ({ baseURL }) => {
  const created = await admin.request.post("/api/v1/users", {
    headers: { origin: baseURL ?? "" },
    data: { ...colleague, roles: [{ role: "agent" }] },
  });
  expect(created.ok()).toBe(true);
  const wrote = await admin.request.post(`${sim}/sim/customers/${customer.waId}/messages`, {
    data: { text: "Can you send the watch this week?", name: customer.name },
  });
  expect(wrote.ok()).toBe(true);

  await admin.getByRole("navigation").getByRole("link", { name: "Inbox" }).click();
  const row = conversations(admin).getByRole("link", { name: new RegExp(customer.name) });
  await expect(row).toBeVisible({ timeout: 5_000 });
  await row.click();
  await expect(admin.getByRole("heading", { name: customer.name })).toBeVisible();
  await expect(admin.getByRole("group", { name: "Team work" }).getByText("Open", { exact: true })).toBeVisible();
  // A colleague who never said they are available counts as away.
  await admin.getByLabel("Assigned agent").selectOption({ label: `${colleague.name} (away)` });
  await expect(admin.getByLabel("Assigned agent")).toHaveValue(/.+/);
  await expect(row).toContainText(`Assigned to ${colleague.name}`);
  await expectAccessible(admin);
});

test("the colleague finds it under Mine, labels it, answers with the canned reply and resolves it", async () => {
  await signIn(cy, colleague);
  await expect(cy.getByRole("button", { name: "Sign out" })).toBeVisible();
  const available = cy.getByRole("switch", { name: "Available for conversations" });
  await expect(available).not.toBeChecked();
  await available.click();
  await expect(available).toBeChecked();

  await cy.getByRole("radio", { name: /^Mine/ }).click();
  await expect(cy).toHaveURL(/view=mine/);
  const row = conversations(cy).getByRole("link", { name: new RegExp(customer.name) });
  await expect(row).toBeVisible();
  await expect(conversations(cy).getByRole("link")).toHaveCount(1);
  await row.click();
  await expect(cy.getByRole("heading", { name: customer.name })).toBeVisible();
  // Opening it kept the view in the address.
  await expect(cy).toHaveURL(/view=mine/);

  await cy.getByLabel("Add a label").selectOption({ label: "VIP" });
  await expect(cy.getByRole("list", { name: "Labels" }).getByText("VIP")).toBeVisible();
  await expect(row).toContainText("VIP");

  const composer = cy.getByRole("textbox", { name: "Message" });
  await composer.fill("/tha");
  const picker = cy.getByRole("listbox", { name: "Canned replies" });
  await expect(picker.getByRole("option", { name: /\/thanks/ })).toHaveAttribute("aria-selected", "true");
  await expectAccessible(cy);
  await composer.press("Enter");
  await expect(picker).toHaveCount(0);
  await expect(composer).toHaveValue(new RegExp(`^Thank you ${customer.name}! ${colleague.name} of .+ will ship it today\\.$`));
  await composer.press("Enter");
  await expect(composer).toHaveValue("");
  const sent = cy.getByRole("log", { name: "Messages" }).getByRole("listitem").filter({ hasText: `Thank you ${customer.name}!` });
  await expect(sent.getByRole("img", { name: /Sent|Delivered|Read/ })).toBeVisible({ timeout: 10_000 });
  await expect
    .poll(async () => JSON.stringify(await (await cy.request.get(`${sim}/sim/sent`)).json()))
    .toContain(`Thank you ${customer.name}! ${colleague.name} of `);
  expect(JSON.stringify(await (await cy.request.get(`${sim}/sim/sent`)).json())).not.toContain("{{");

  await cy.getByRole("button", { name: "Resolve", exact: true }).click();
  // The open view no longer lists it; the resolved one does.
  await expect(row).toHaveCount(0);
  await cy.getByLabel("Status", { exact: true }).selectOption("resolved");
  await expect(cy).toHaveURL(/status=resolved/);
  await expect(conversations(cy).getByRole("link", { name: new RegExp(customer.name) })).toBeVisible();
  await expect(conversations(cy).getByRole("link", { name: new RegExp(customer.name) })).toContainText("Resolved");
  await expectAccessible(cy);
  await cy.emulateMedia({ colorScheme: "dark" });
  await expectAccessible(cy);
  await cy.emulateMedia({ colorScheme: "light" });
});

test("a note mentioning the colleague stays in the inbox and tells them", async () => {
  // The admin still has the conversation open; the colleague is on theirs.
  await admin.getByRole("button", { name: "Note" }).click();
  const note = admin.getByRole("textbox", { name: "Private note" });
  await note.fill("Ask @Teo");
  await admin.getByRole("listbox", { name: "Colleagues to mention" }).getByRole("option", { name: new RegExp(colleague.name) }).click();
  await expect(note).toHaveValue(`Ask @${colleague.name} `);
  await note.pressSequentially("whether it shipped");
  await admin.getByRole("button", { name: "Add the note" }).click();
  await expect(note).toHaveValue("");
  const shown = admin.getByRole("log", { name: "Messages" }).getByRole("listitem").filter({ hasText: "whether it shipped" });
  await expect(shown).toContainText("Private note · Ada Admin");
  await expect(shown).toContainText(`Mentions ${colleague.name}`);
  await expectAccessible(admin);
  await admin.emulateMedia({ colorScheme: "dark" });
  await expectAccessible(admin);
  await admin.emulateMedia({ colorScheme: "light" });

  const notice = cy.getByRole("region", { name: "Notices" }).getByRole("listitem");
  await expect(notice).toContainText(`Ada Admin mentioned you in a note on ${customer.name}.`);
  await notice.getByRole("button", { name: "Dismiss" }).click();
  await expect(notice).toHaveCount(0);
  // A note never reaches WhatsApp.
  expect(JSON.stringify(await (await cy.request.get(`${sim}/sim/sent`)).json())).not.toContain("whether it shipped");
});
