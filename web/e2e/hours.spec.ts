import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import AxeBuilder from "@axe-core/playwright";
import { signInAsAdmin } from "./session";

/**
 * The admin sets the number's business hours: a time written wrongly is refused on the page; closed all
 * week with an away message, a customer who writes gets that message through WhatsApp (wa-sim); the
 * settings are there after a reload. The hours are switched off again at the end, as the other specs
 * share this server.
 */
test.describe.configure({ mode: "serial" });

const sim = process.env.E2E_SIM_URL ?? "http://127.0.0.1:8900";
const phoneId = "1122334455667";
const customer = { waId: "447700900701", name: "Hal Hours" };
const away = "Thanks for writing: we are closed now and answer from 9:00.";

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await (await browser.newContext()).newPage();
});

test.afterAll(async () => {
  await page.context().close();
});

function hours() {
  return page.getByRole("region", { name: "Business hours and assignment" });
}

async function openNumber() {
  await page.goto(`/numbers/${phoneId}`);
  await expect(hours()).toBeVisible();
  await expect(hours().getByLabel("Time zone")).toBeEnabled();
}

test("a closed number answers a customer with its away message", async ({ baseURL }) => {
  await signInAsAdmin(page, baseURL);
  await openNumber();
  const form = hours();
  await form.getByLabel("Monday").fill("9h-18h");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByText("Write the times as 09:00-18:00, separated by commas.")).toBeVisible();

  for (const day of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]) {
    await form.getByLabel(day, { exact: true }).fill("");
  }
  await form.getByLabel(/^Business hours apply/).check();
  await form.getByLabel("Time zone").fill("Europe/London");
  await form.getByLabel(/^Away message/).fill(away);
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("status")).toHaveText("Saved.");
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);

  const wrote = await page.request.post(`${sim}/sim/customers/${customer.waId}/messages`, {
    data: { text: "Are you open on Sunday?", name: customer.name },
  });
  expect(wrote.ok()).toBe(true);
  await expect
    .poll(async () => JSON.stringify(await (await page.request.get(`${sim}/sim/sent`)).json()), { timeout: 15_000 })
    .toContain(away);

  await page.reload();
  await expect(hours().getByLabel(/^Away message/)).toHaveValue(away);
  await expect(hours().getByLabel("Time zone")).toHaveValue("Europe/London");
});

test("the hours are switched off again", async () => {
  await openNumber();
  await hours().getByLabel(/^Business hours apply/).uncheck();
  await hours().getByRole("button", { name: "Save" }).click();
  await expect(hours().getByRole("status")).toHaveText("Saved.");
});
