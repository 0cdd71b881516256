import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import AxeBuilder from "@axe-core/playwright";
import { signInAsAdmin } from "./session";

/**
 * The admin opens Reports: a customer's message (through wa-sim) is counted among the messages received,
 * per day and in the hour of the week it came; each report offers its CSV for the same range; and the
 * range is checked before it is asked for.
 */
test.describe.configure({ mode: "serial" });

const sim = process.env.E2E_SIM_URL ?? "http://127.0.0.1:8900";
const customer = { waId: "447700900601", name: "Rita Reports" };

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await (await browser.newContext()).newPage();
});

test.afterAll(async () => {
  await page.context().close();
});

function tile(name: string) {
  return page.locator(".report-tile").filter({ has: page.getByText(name, { exact: true }) });
}

test("a customer's message is counted, per day and by hour, and each report downloads as CSV", async ({ baseURL }) => {
  await signInAsAdmin(page, baseURL);
  const before = await page.request.get("/api/v1/reports/summary");
  expect(before.ok()).toBe(true);
  const received = ((await before.json()) as { figures: { inbound: number } }).figures.inbound;
  const answer = await page.request.post(`${sim}/sim/customers/${customer.waId}/messages`, {
    data: { text: "Do you still have the Datejust?", name: customer.name },
  });
  expect(answer.ok()).toBe(true);

  await page.getByRole("navigation").getByRole("link", { name: "Reports" }).click();
  await expect(page.getByRole("heading", { name: "Reports", level: 2 })).toBeVisible();
  // The figure comes from the view once the message is folded in: "Last 7 days" asks again until it shows.
  await expect(async () => {
    await page.getByRole("button", { name: "Last 7 days" }).click();
    await expect(tile("Messages received").locator(".report-value")).toHaveText(String(received + 1), { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });

  await expect(page.getByRole("img", { name: /Messages received and sent per day/ })).toBeVisible();
  const heat = page.getByRole("table", { name: /Messages per hour of the week/ });
  await expect(heat).toBeVisible();
  await expect(heat.getByRole("rowheader")).toHaveCount(7);

  const csv = page.getByRole("region", { name: "Overview" }).getByRole("link", { name: "Download as CSV" });
  const href = await csv.getAttribute("href");
  expect(href).toMatch(/^\/api\/v1\/reports\/summary\/csv\?from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}&tz=/);
  const download = await page.request.get(href ?? "");
  expect(download.headers()["content-type"]).toContain("text/csv");
  expect((await download.text()).split("\n")[0]).toContain("inbound");

  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
});

test("a range that ends before it starts is refused on the page", async () => {
  await page.getByLabel("From", { exact: true }).fill("2027-03-10");
  await page.getByLabel("To", { exact: true }).fill("2027-03-01");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("alert")).toHaveText("The start must not be after the end.");
});
