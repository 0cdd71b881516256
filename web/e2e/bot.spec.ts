import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import AxeBuilder from "@axe-core/playwright";
import { signInAsAdmin } from "./session";

/**
 * The bot, through wa-sim and llm-sim (standing in for Gemini, `E2E_LLM_URL`): the admin writes the
 * number's FAQ and turns its bot on, sees the FAQ and no empty section in the prompt preview; a customer
 * asks what the FAQ covers and the bot's reply shows in the conversation as the bot's; a question no
 * rule covers gets the fallback phrase and the "escalated" badge. One page for the admin, found by role
 * and name. The number's bot is switched off again at the end, so the other files' customers get no
 * answer from it.
 */
test.describe.configure({ mode: "serial" });

const sim = process.env.E2E_SIM_URL ?? "http://127.0.0.1:8900";
const llm = process.env.E2E_LLM_URL ?? "http://127.0.0.1:8091";
const phoneId = "1122334455667";
const customer = { waId: "447700900701", name: "Bea Botquestion" };
const faq = "Q: When are you open?\nA: Monday to Saturday, 10:00 to 19:00.";
const covered = "What are your opening hours?";
const reply = "We are open Monday to Saturday, 10:00 to 19:00.";
const uncovered = "Can you engrave my initials on the case back?";
const fallback = "Je me renseigne auprès d'un collègue et je reviens vers vous au plus vite.";

let page: Page;
let origin = "";

test.beforeAll(async ({ browser, baseURL }) => {
  page = await (await browser.newContext()).newPage();
  origin = baseURL ?? "";
  // The emulator answers the covered question from the FAQ; anything else it has no rule for, so it
  // says a person must answer (its default).
  expect((await page.request.delete(`${llm}/_sim/rules`)).ok()).toBe(true);
  const rule = { pattern: "opening hours", answer: { bot: { reply, confidence: 0.93, needs_human: false, reasons: ["The FAQ gives the opening hours"] } } };
  expect((await page.request.post(`${llm}/_sim/rules`, { data: rule })).ok()).toBe(true);
});

test.afterAll(async () => {
  // Off again for the files that follow, whatever happened above.
  const config = await page.request.get(`/api/v1/accounts/${phoneId}/bot`);
  if (config.ok()) {
    const { version, settings } = (await config.json()) as { version: number; settings: Record<string, unknown> };
    await page.request.put(`/api/v1/accounts/${phoneId}/bot`, { headers: { origin }, data: { version, settings: { ...settings, enabled: false } } });
  }
  await page.request.delete(`${llm}/_sim/rules`);
  await page.context().close();
});

async function expectAccessible() {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

async function customerWrites(text: string) {
  const answer = await page.request.post(`${sim}/sim/customers/${customer.waId}/messages`, { data: { text, name: customer.name } });
  expect(answer.ok()).toBe(true);
}

const messages = () => page.getByRole("log", { name: "Messages" });
const message = (text: string) => messages().getByRole("listitem").filter({ hasText: text }).first();
const byBot = () => messages().getByRole("listitem").filter({ hasText: "Sent by the bot" });

test("the admin writes the FAQ, turns the bot on, and the prompt holds the FAQ and no empty section", async ({ baseURL }) => {
  await signInAsAdmin(page, baseURL);
  await page.getByRole("navigation").getByRole("link", { name: "Numbers" }).click();
  await page.getByRole("list", { name: "WhatsApp numbers" }).getByRole("link").filter({ hasText: "High (green)" }).click();
  await page.getByRole("link", { name: "Set up the bot" }).click();
  await expect(page).toHaveURL(new RegExp(`/numbers/${phoneId}/bot$`));
  await expect(page.getByRole("heading", { name: /^Bot of / })).toBeVisible();

  const settings = page.getByRole("region", { name: "Settings and playbook" });
  const on = settings.getByRole("switch", { name: "The bot answers this number's customers" });
  await expect(on).not.toBeChecked();
  await settings.getByRole("textbox", { name: "Frequently asked questions" }).fill(faq);
  await on.check();
  const preview = page.getByRole("region", { name: "Prompt preview" });
  // Typed but not saved: the preview says it is not in it yet.
  await expect(preview.getByRole("status").filter({ hasText: "Not saved yet" })).toContainText("Frequently asked questions");
  await settings.getByRole("button", { name: "Save" }).click();
  await expect(settings.getByRole("status").filter({ hasText: "Saved: version 1." })).toBeVisible();

  const inPrompt = preview.getByRole("list", { name: "Sections in the prompt" });
  await expect(inPrompt.getByRole("listitem").filter({ hasText: "Frequently asked questions" })).toBeVisible();
  await expect(inPrompt.getByRole("listitem").filter({ hasText: "Offers" })).toHaveCount(0);
  await expect(preview.getByRole("list", { name: "Left out (empty)" }).getByRole("listitem").filter({ hasText: "Offers" })).toBeVisible();
  await expect(preview.getByRole("region", { name: "System instruction" })).toContainText("Monday to Saturday, 10:00 to 19:00.");
  await expectAccessible();
});

test("a covered question gets the bot's reply, marked as the bot's, with its turn's details", async () => {
  await customerWrites(covered);
  await page.getByRole("navigation").getByRole("link", { name: "Inbox" }).click();
  await page.getByRole("list", { name: "Conversations" }).getByRole("link", { name: new RegExp(customer.name) }).click();
  await expect(message(covered)).toBeVisible();
  const answer = message(reply);
  await expect(answer).toBeVisible({ timeout: 10_000 });
  await expect(answer).toContainText("Sent by the bot");
  // The customer's message is not the bot's: one message is marked.
  await expect(byBot()).toHaveCount(1);
  await answer.getByRole("button", { name: "Bot turn details" }).click();
  await expect(answer).toContainText("93%");
  await expect(answer).toContainText("The FAQ gives the opening hours");
  await expect(page.getByRole("group", { name: "Conversation settings" }).getByRole("button", { name: "Bot answers" })).toHaveAttribute("aria-pressed", "true");
  await expectAccessible();
});

test("a question the rules do not cover gets the fallback phrase and the escalated badge", async () => {
  await customerWrites(uncovered);
  await expect(message(uncovered)).toBeVisible();
  const handover = message(fallback);
  await expect(handover).toBeVisible({ timeout: 10_000 });
  await expect(handover).toContainText("Sent by the bot");
  await expect(byBot()).toHaveCount(2);
  const badge = page.getByRole("status", { name: "Escalated" });
  await expect(badge).toBeVisible();
  await expect(badge).toContainText(/person must answer|not sure enough/);
  await expect(badge).toContainText("the emulator has no rule for this message");
  // Handed over: the bot is off in this conversation until someone turns it back on.
  await expect(page.getByRole("group", { name: "Conversation settings" }).getByRole("button", { name: "Bot answers" })).toHaveAttribute("aria-pressed", "false");
  await expectAccessible();
});
