import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import AxeBuilder from "@axe-core/playwright";
import { signIn, signInAsAdmin } from "./session";

/**
 * Dealers write an offer and a request (through wa-sim); the admin sees each read as a watch listing under
 * its message, with the words it was read from highlighted, the request's matches leading to the offer,
 * and both on the Listings page with its filters, chart and statistics. An agent of another number sees
 * none of them. One page for the admin throughout, found by role and name.
 */
test.describe.configure({ mode: "serial" });

const sim = process.env.E2E_SIM_URL ?? "http://127.0.0.1:8900";
const seller = { waId: "447700900501", name: "Vic Vendeur" };
const buyer = { waId: "447700900502", name: "Wes Wanted" };
const offer = "⌚ Vends Rolex Submariner 116610LN full set 2018, 9 800 €";
const request = "Cherche Rolex Submariner 116610LN, budget 10 000 €";
const otherNumber = "5566778899501";
const lu = { email: "lu@example.com", password: "a listings passphrase", name: "Lu Elsewhere" };

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

async function customerWrites(who: { waId: string; name: string }, text: string) {
  const answer = await page.request.post(`${sim}/sim/customers/${who.waId}/messages`, { data: { text, name: who.name } });
  expect(answer.ok()).toBe(true);
}

/** Playwright finds `<mark>` by its ARIA role (`mark`), which its types do not list yet. */
const MARK = "mark" as Parameters<Page["getByRole"]>[0];

function messages() {
  return page.getByRole("log", { name: "Messages" });
}

async function openConversation(who: { name: string }) {
  await page.getByRole("navigation").getByRole("link", { name: "Inbox" }).click();
  await page.getByRole("list", { name: "Conversations" }).getByRole("link", { name: new RegExp(who.name) }).click();
  await expect(page.getByRole("heading", { name: who.name })).toBeVisible();
}

test("a card under the offer says what was read, and where", async ({ baseURL }) => {
  await signInAsAdmin(page, baseURL);
  await customerWrites(seller, "Bonjour, j'ai une montre pour vous");
  await customerWrites(buyer, request);
  await openConversation(seller);
  await expect(messages()).toContainText("Bonjour");
  await expect(messages().getByRole("region")).toHaveCount(0);

  // Written while the conversation is open: the card arrives with the live stream, no reload.
  await customerWrites(seller, offer);
  const card = messages().getByRole("region", { name: "Watch listing: Rolex Submariner" });
  await expect(card).toBeVisible();
  await expect(card).toContainText("Offer");
  await expect(card.getByRole("definition")).toContainText(["Rolex", "Submariner", "116610LN", "€9,800", "yes", "yes", "2018"]);
  await expect(messages().getByRole(MARK)).toHaveCount(0);

  // The message starts with an emoji (two UTF-16 units, one character): the highlight must still fall on the word.
  await card.getByRole("term").filter({ hasText: "Brand" }).hover();
  await expect(messages().getByRole(MARK)).toHaveText("Rolex");
  await card.getByRole("term").filter({ hasText: "Family" }).hover();
  await expect(messages().getByRole(MARK)).toHaveText("Submariner");
  await page.getByRole("heading", { name: seller.name }).hover();
  await expect(messages().getByRole(MARK)).toHaveCount(0);
  // From the keyboard: the field after the Matches button is the brand.
  await card.getByRole("button", { name: "Matches of Rolex Submariner" }).focus();
  await page.keyboard.press("Tab");
  await expect(messages().getByRole(MARK)).toHaveText("Rolex");
  await page.keyboard.press("Tab");
  await expect(messages().getByRole(MARK)).toHaveText("Submariner");
  await expectAccessible();
});

test("the request's matches show the offer and lead to its conversation", async () => {
  await openConversation(buyer);
  const card = messages().getByRole("region", { name: "Watch listing: Rolex Submariner" });
  await expect(card).toContainText("Wanted");
  await expect(card).toContainText("€10,000");
  await card.getByRole("button", { name: "Matches of Rolex Submariner" }).click();
  const dialog = page.getByRole("dialog", { name: "Matches of Rolex Submariner" });
  await expect(dialog).toContainText("Offers at or under this request's price");
  await expect(dialog.getByRole("listitem")).toHaveCount(1);
  await expect(dialog.getByRole("listitem")).toContainText("€9,800");
  await expectAccessible();
  await dialog.getByRole("link", { name: /Open the conversation \(Offer Rolex Submariner\)/ }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("heading", { name: seller.name })).toBeVisible();
  await expect(messages()).toContainText("Vends Rolex Submariner");
});

test("the Listings page lists them, filters by type, and checks its filters", async () => {
  await page.getByRole("navigation").getByRole("link", { name: "Listings" }).click();
  await expect(page).toHaveURL(/\/listings$/);
  await expect(page.getByRole("heading", { name: "Watch listings" })).toBeVisible();
  const filters = page.getByRole("form", { name: "Filters" });
  await filters.getByLabel("Reference", { exact: true }).fill("116610LN");
  await filters.getByRole("button", { name: "Apply" }).click();
  const results = page.getByRole("table", { name: "Listings found" });
  await expect(results.getByRole("link", { name: "Rolex Submariner" })).toHaveCount(2);
  await expect(results).toContainText("Offer");
  await expect(results).toContainText("Wanted");

  await filters.getByLabel("Type", { exact: true }).selectOption({ label: "Wanted" });
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(results.getByRole("link", { name: "Rolex Submariner" })).toHaveCount(1);
  await expect(results).not.toContainText("Offer");
  await expect(results).toContainText("€10,000");

  await results.getByRole("button", { name: "Matches of Rolex Submariner" }).click();
  const dialog = page.getByRole("dialog", { name: "Matches of Rolex Submariner" });
  await expect(dialog.getByRole("listitem")).toContainText("€9,800");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();

  // Kept as typed when refused before sending.
  await filters.getByLabel("Lowest price", { exact: true }).fill("12000");
  await filters.getByLabel("Highest price", { exact: true }).fill("9000");
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(filters.getByRole("alert")).toHaveText("The lowest price must not be above the highest.");
  await expect(filters.getByLabel("Lowest price", { exact: true })).toHaveValue("12000");
  await expect(results.getByRole("link", { name: "Rolex Submariner" })).toHaveCount(1);

  await filters.getByLabel("Lowest price", { exact: true }).fill("");
  await filters.getByLabel("Highest price", { exact: true }).fill("");
  await filters.getByLabel("Type", { exact: true }).selectOption({ label: "Any type" });
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(results.getByRole("link", { name: "Rolex Submariner" })).toHaveCount(2);
  const chart = page.getByRole("region", { name: "Prices over time" });
  await expect(chart.getByRole("img", { name: "Asking prices of Rolex Submariner (EUR), by date" })).toBeVisible();
  await chart.getByText("The prices as a table").click();
  await expect(chart.getByRole("table")).toContainText("€9,800");
  const stats = page.getByRole("region", { name: "Statistics" });
  await expect(stats.getByRole("table", { name: "Watches by brand" }).getByRole("rowheader", { name: "Rolex" })).toBeVisible();
  await expect(stats.getByRole("table", { name: "Asking prices" })).toContainText("Rolex Submariner");
  await expectAccessible();

  // The row leads to its conversation.
  await results.getByRole("link", { name: "Rolex Submariner" }).first().click();
  await expect(page).toHaveURL(/\/conversations\//);
});

test("on a phone the Listings page shows one pane at a time", async () => {
  await page.setViewportSize({ width: 390, height: 800 });
  await page.getByRole("navigation").getByRole("link", { name: "Listings" }).click();
  const filters = page.getByRole("form", { name: "Filters" });
  await expect(filters).toBeHidden();
  await expect(page.getByRole("table", { name: "Listings found" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Prices over time" })).toBeHidden();
  await page.getByRole("button", { name: "Prices" }).click();
  await expect(page.getByRole("region", { name: "Prices over time" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Listings found" })).toBeHidden();
  await page.getByRole("button", { name: "Show the filters" }).click();
  await expect(filters).toBeVisible();
  await expect(page.getByRole("region", { name: "Prices over time" })).toBeHidden();
  await expectAccessible();
  await page.getByRole("button", { name: "Statistics" }).click();
  await expect(filters).toBeHidden();
  await expect(page.getByRole("region", { name: "Statistics" })).toBeVisible();
  await expect(page.getByRole("navigation").getByRole("link", { name: "Settings" })).toBeInViewport();
  await page.setViewportSize({ width: 1280, height: 720 });
});

test("an agent of another number sees none of them", async ({ browser, baseURL }) => {
  const asAdmin = { headers: { origin: baseURL ?? "" } };
  const number = await page.request.post("/api/v1/accounts", {
    ...asAdmin,
    data: { phone_number_id: otherNumber, phone_number: "+15550009501", name: "Listings shop" },
  });
  expect(number.status()).toBe(201);
  const created = await page.request.post("/api/v1/users", {
    ...asAdmin,
    data: { ...lu, roles: [{ role: "agent", account: otherNumber }] },
  });
  expect(created.ok()).toBe(true);

  const other = await (await browser.newContext()).newPage();
  await signIn(other, lu);
  await expect(other.getByRole("button", { name: "Sign out" })).toBeVisible();
  await other.getByRole("navigation").getByRole("link", { name: "Listings" }).click();
  await expect(other.getByRole("heading", { name: "Watch listings" })).toBeVisible();
  await expect(other.getByText("No listing matches these filters.")).toBeVisible();
  await expect(other.getByRole("link", { name: "Rolex Submariner" })).toHaveCount(0);
  const answer = await other.request.get("/api/v1/listings?reference=116610LN");
  expect(answer.ok()).toBe(true);
  expect(((await answer.json()) as { listings: unknown[] }).listings).toEqual([]);
  await other.context().close();
});
