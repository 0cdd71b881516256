import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import AxeBuilder from "@axe-core/playwright";
import { signIn, signInAsAdmin } from "./session";

/**
 * The admin looks after the WhatsApp number as Meta (wa-sim) sees it: its quality, the business profile,
 * a template sent for review and deleted, the webhook subscription and the token; an agent sees the same
 * number without a control to change it. One page for the admin throughout, found by role and name.
 */
test.describe.configure({ mode: "serial" });

const sim = process.env.E2E_SIM_URL ?? "http://127.0.0.1:8900";
const phoneId = "1122334455667";
const templateName = "order_shipped_e2e";
const agent = { email: "ed@example.com", password: "a third long passphrase", name: "Ed Agent" };

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await (await browser.newContext()).newPage();
});

test.afterAll(async () => {
  await page.context().close();
});

/** No WCAG 2 A or AA violation that axe can find on the page as it stands. */
async function expectAccessible(on: Page = page) {
  const results = await new AxeBuilder({ page: on }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

function section(name: string, on: Page = page) {
  return on.getByRole("region", { name });
}

/** Opens Numbers from the top bar, then the number wa-sim answers for. */
async function openNumber(on: Page) {
  await on.getByRole("navigation").getByRole("link", { name: "Numbers" }).click();
  const list = on.getByRole("list", { name: "WhatsApp numbers" });
  const row = list.getByRole("link").filter({ hasText: "High (green)" });
  await expect(row).toHaveCount(1);
  await row.click();
  await expect(on).toHaveURL(new RegExp(`/numbers/${phoneId}$`));
}

test("the admin sees the number with its quality", async ({ baseURL }) => {
  await signInAsAdmin(page, baseURL);
  await page.getByRole("navigation").getByRole("link", { name: "Numbers" }).click();
  await expect(page.getByRole("heading", { name: "WhatsApp numbers" })).toBeVisible();
  await expect(page.getByText("Pick a number to see it as Meta sees it.")).toBeVisible();
  await expect(page.getByRole("list", { name: "WhatsApp numbers" }).getByRole("link").filter({ hasText: "High (green)" })).toBeVisible();
  await expectAccessible();

  await openNumber(page);
  const info = section("Number and quality");
  await expect(info).toContainText(phoneId);
  await expect(info).toContainText("Emulated Shop");
  await expect(info).toContainText("High (green)");
  await expect(info).toContainText("Connected: can send and receive");
  await expect(info).toContainText("Standard (up to 80 messages a second)");
  await expect(section("Business profile")).toContainText("1 Loopback Lane");
  await expect(section("Message templates").getByRole("row", { name: /hello_world/ })).toContainText("Approved");
  await expectAccessible();
  // The tones keep their contrast in the dark theme too.
  await page.emulateMedia({ colorScheme: "dark" });
  await expectAccessible();
  await page.emulateMedia({ colorScheme: "light" });
});

test("edits the profile's about text, checked before sending, and finds it after a reload", async () => {
  const profile = section("Business profile");
  await profile.getByRole("button", { name: "Edit the profile" }).click();
  const about = profile.getByRole("textbox", { name: "About" });
  await expect(about).toHaveValue("Emulated business");

  // Longer than Meta allows: said at the field, nothing sent.
  await about.fill("x".repeat(140));
  await profile.getByRole("button", { name: "Save the profile" }).click();
  await expect(about).toHaveAttribute("aria-invalid", "true");
  await expect(about).toHaveAccessibleDescription(/At most 139 characters/);
  await expect(about).toBeFocused();

  // Meta refuses once: said in words, with what to do, and what was typed stays.
  const failure = await page.request.post(`${sim}/sim/failures`, { data: { code: 100, path: "whatsapp_business_profile", times: 1 } });
  expect(failure.ok()).toBe(true);
  await about.fill("Watches bought and sold, since 1990");
  await profile.getByRole("button", { name: "Save the profile" }).click();
  const refusal = profile.getByRole("alert");
  await expect(refusal).toContainText("Invalid parameter");
  await expect(refusal).toContainText("Meta refused what was sent");
  await expect(about).toHaveValue("Watches bought and sold, since 1990");
  await expectAccessible();

  await profile.getByRole("button", { name: "Save the profile" }).click();
  await expect(profile.getByRole("status")).toHaveText("Profile saved: customers see it now.");
  await expect(profile.getByRole("button", { name: "Edit the profile" })).toBeFocused();
  await expect(profile).toContainText("Watches bought and sold, since 1990");

  await page.reload();
  await expect(section("Business profile")).toContainText("Watches bought and sold, since 1990");
});

test("creates a template with a variable, sees it pending, then deletes it", async () => {
  const templates = section("Message templates");
  await templates.getByRole("button", { name: "New template" }).click();
  const form = templates.getByRole("form", { name: "New template" });

  // Meta's rules are said before anything is sent.
  await form.getByRole("textbox", { name: "Template name" }).fill("Order Shipped");
  await form.getByRole("button", { name: "Submit for review" }).click();
  await expect(form.getByRole("textbox", { name: "Template name" })).toHaveAccessibleDescription(/Only lower-case letters/);
  await expect(form.getByRole("textbox", { name: "Body" })).toHaveAccessibleDescription(/Required/);

  await form.getByRole("textbox", { name: "Template name" }).fill(templateName);
  const body = form.getByRole("textbox", { name: "Body" });
  await body.fill("Hello ");
  await form.getByRole("button", { name: "Add a variable" }).click();
  await expect(body).toBeFocused();
  await body.press("End");
  await body.pressSequentially(", your order has shipped.");
  await expect(body).toHaveValue("Hello {{1}}, your order has shipped.");
  await form.getByRole("textbox", { name: "Example for {{1}}" }).fill("Ann");
  await form.getByRole("textbox", { name: "Footer (optional)" }).fill("Reply STOP to opt out");
  await form.getByRole("button", { name: "Add a quick reply" }).click();
  await form.getByRole("textbox", { name: "Text of button 1" }).fill("Thanks");
  const preview = form.getByRole("figure", { name: "Preview, with the examples" });
  await expect(preview).toContainText("Hello Ann, your order has shipped.");
  await expect(preview).toContainText("Thanks");
  await expectAccessible();

  await form.getByRole("button", { name: "Submit for review" }).click();
  await expect(templates.getByRole("status")).toHaveText(`${templateName} was sent for Meta's review.`);
  await expect(templates.getByRole("button", { name: "New template" })).toBeFocused();
  const row = templates.getByRole("row", { name: new RegExp(templateName) });
  await expect(row).toContainText("Pending review");
  await expect(row).toContainText("Utility");
  await expect(row).toContainText("en_US");

  // What Meta received: the body with its example, the footer, the button.
  const state = (await (await page.request.get(`${sim}/sim/state`)).json()) as { templates: { name: string; components: unknown[] }[] };
  expect(state.templates.find((t) => t.name === templateName)?.components).toEqual([
    { type: "BODY", text: "Hello {{1}}, your order has shipped.", example: { body_text: [["Ann"]] } },
    { type: "FOOTER", text: "Reply STOP to opt out" },
    { type: "BUTTONS", buttons: [{ type: "QUICK_REPLY", text: "Thanks" }] },
  ]);

  // Filtered by status, then searched by name.
  await templates.getByRole("combobox", { name: "Status" }).selectOption({ label: "Pending review" });
  await expect(row).toBeVisible();
  await expect(templates.getByRole("row", { name: /hello_world/ })).toHaveCount(0);
  await templates.getByRole("combobox", { name: "Status" }).selectOption({ label: "Every status" });
  await templates.getByRole("searchbox", { name: "Search templates by name" }).fill("hello");
  await expect(templates.getByRole("row", { name: /hello_world/ })).toBeVisible();
  await expect(row).toHaveCount(0);
  await templates.getByRole("searchbox", { name: "Search templates by name" }).fill("");

  await row.getByRole("button", { name: `Delete ${templateName} (en_US)` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete the template ${templateName}?` });
  await expect(confirm).toBeVisible();
  await expectAccessible();
  await confirm.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(confirm).toBeHidden();
  await expect(row).toHaveCount(0);
  await expect(templates.getByRole("row", { name: /hello_world/ })).toBeVisible();
});

test("subscribes to the webhooks, and unsubscribes only once confirmed", async () => {
  const webhooks = section("Webhook subscription");
  await expect(webhooks.getByText(/^(Yes|No): /)).toBeVisible();
  if (await webhooks.getByRole("button", { name: "Subscribe" }).isVisible()) {
    await webhooks.getByRole("button", { name: "Subscribe" }).click();
  }
  await expect(webhooks).toContainText("Yes: messages and statuses arrive");

  await webhooks.getByRole("button", { name: "Unsubscribe" }).click();
  const confirm = page.getByRole("dialog", { name: "Stop receiving this account's webhooks?" });
  await expect(confirm).toContainText("stop arriving at once");
  // Cancelled: still subscribed.
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(confirm).toBeHidden();
  await expect(webhooks).toContainText("Yes: messages and statuses arrive");

  await webhooks.getByRole("button", { name: "Unsubscribe" }).click();
  await confirm.getByRole("button", { name: "Unsubscribe" }).click();
  await expect(webhooks).toContainText("No: nothing arrives");
  await expectAccessible();
  // Subscribed again, as the other specs expect an install to be.
  await webhooks.getByRole("button", { name: "Subscribe" }).click();
  await expect(webhooks).toContainText("Yes: messages and statuses arrive");
});

test("checks the token, and checks it again", async () => {
  const token = section("Access token");
  await expect(token.getByText("Valid", { exact: true })).toBeVisible();
  await expect(token).toContainText("Never");
  await expect(token).toContainText("whatsapp_business_messaging");
  const asked = page.waitForResponse((r) => r.url().endsWith(`/api/v1/accounts/${phoneId}/token`) && r.ok());
  await token.getByRole("button", { name: "Check the token again" }).click();
  await asked;
  await expect(token.getByRole("button", { name: "Check the token again" })).toBeEnabled();
  await expect(token.getByText("Valid", { exact: true })).toBeVisible();

  // Meta slow, then refusing: the wait is said, then the refusal in words with what to do.
  const failure = await page.request.post(`${sim}/sim/failures`, { data: { code: 100, path: "debug_token", delay_ms: 1500, times: 1 } });
  expect(failure.ok()).toBe(true);
  await token.getByRole("button", { name: "Check the token again" }).click();
  await expect(token.getByRole("button", { name: "Checking…" })).toBeDisabled();
  const refusal = token.getByRole("alert");
  await expect(refusal).toContainText("Invalid parameter");
  await expect(refusal).toContainText("Meta refused what was sent");
  await refusal.getByRole("button", { name: "Try again" }).click();
  await expect(token.getByText("Valid", { exact: true })).toBeVisible();
});

test("on a phone, one pane at a time with a way back", async () => {
  await page.setViewportSize({ width: 390, height: 800 });
  await expect(section("Number and quality")).toBeVisible();
  await expect(page.getByRole("list", { name: "WhatsApp numbers" })).toBeHidden();
  await page.getByRole("link", { name: "Back to the numbers" }).click();
  await expect(page.getByRole("list", { name: "WhatsApp numbers" })).toBeVisible();
  await expect(section("Number and quality")).toHaveCount(0);
  await page.setViewportSize({ width: 1280, height: 720 });
});

test("an agent sees the number but no control to change it", async ({ browser, baseURL }) => {
  const created = await page.request.post("/api/v1/users", {
    headers: { origin: baseURL ?? "" },
    data: { ...agent, roles: [{ role: "agent", account: phoneId }] },
  });
  expect(created.ok()).toBe(true);

  const other = await (await browser.newContext()).newPage();
  await signIn(other, agent);
  await expect(other.getByRole("button", { name: "Sign out" })).toBeVisible();
  await openNumber(other);
  await expect(section("Number and quality", other)).toContainText("High (green)");
  await expect(section("Business profile", other)).toContainText("Watches bought and sold, since 1990");
  await expect(section("Message templates", other).getByRole("row", { name: /hello_world/ })).toBeVisible();
  await expect(section("Webhook subscription", other)).toContainText("Yes: messages and statuses arrive");

  await expect(other.getByRole("button", { name: "Edit the profile" })).toHaveCount(0);
  await expect(other.getByRole("button", { name: "New template" })).toHaveCount(0);
  await expect(other.getByRole("button", { name: /^Delete / })).toHaveCount(0);
  await expect(other.getByRole("button", { name: /Subscribe|Unsubscribe/ })).toHaveCount(0);
  // The token is for those who manage the number.
  await expect(section("Access token", other)).toHaveCount(0);
  await expectAccessible(other);
  await other.context().close();
});
