import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import AxeBuilder from "@axe-core/playwright";
import { signInAsAdmin } from "./session";

/**
 * Customers write (through wa-sim); the admin finds their messages on the Search page and from the
 * inbox's search box. The server runs without a usable embedding model, as a fresh install may: hybrid
 * search answers by words and says so. One page for the admin throughout, found by role and name.
 */
test.describe.configure({ mode: "serial" });

const sim = process.env.E2E_SIM_URL ?? "http://127.0.0.1:8900";
const seller = { waId: "447700900601", name: "Sasha Searchable" };
const buyer = { waId: "447700900602", name: "Rudi Requester" };
// An emoji first: the server counts highlights in characters, the browser in UTF-16 units.
const offer = "🙂 Vends Rolex Submariner 126610LV full set 2023, 13 500 €";
const request = "Cherche Rolex Daytona 116500LN cadran blanc, budget 25 000 €";
/** Written after the offer: more than a page of messages, so the offer is not loaded when the conversation opens. */
const LATER = 55;

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await (await browser.newContext()).newPage();
});

test.afterAll(async () => {
  await page.context().close();
});

async function expectAccessible() {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

async function customerWrites(who: { waId: string; name: string }, text: string) {
  const answer = await page.request.post(`${sim}/sim/customers/${who.waId}/messages`, { data: { text, name: who.name } });
  expect(answer.ok()).toBe(true);
}

/** Playwright finds `<mark>` by its ARIA role (`mark`), which its types do not list yet. */
const MARK = "mark" as Parameters<Page["getByRole"]>[0];

const results = () => page.getByRole("list", { name: "Messages found" });
const searchForm = () => page.getByRole("search", { name: "Search messages" });
const messages = () => page.getByRole("log", { name: "Messages" });

async function search(q: string) {
  await searchForm().getByRole("searchbox", { name: "Words, a reference or a question" }).fill(q);
  await searchForm().getByRole("searchbox", { name: "Words, a reference or a question" }).press("Enter");
}

test("customers write, and their messages become searchable", async ({ baseURL }) => {
  await signInAsAdmin(page, baseURL);
  await customerWrites(seller, offer);
  await customerWrites(buyer, request);
  for (let i = 1; i <= LATER; i++) await customerWrites(seller, `Message de suivi numéro ${i}`);
  // The search view is a projection: wait until it holds the last of them.
  await expect
    .poll(async () => {
      const answer = await page.request.get(`/api/v1/search?mode=keyword&q=${encodeURIComponent(`suivi ${LATER}`)}`);
      return answer.ok() ? ((await answer.json()) as { hits: { snippet: string }[] }).hits.some((h) => h.snippet.endsWith(` ${LATER}`)) : false;
    }, { timeout: 20_000 })
    .toBe(true);
});

test("a reference finds exactly its message, highlighted, and says why and with what", async () => {
  await page.getByRole("navigation").getByRole("link", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/search$/);
  await expect(page.getByRole("heading", { name: "Search messages" })).toBeVisible();
  await expect(page.getByText("Type words, a reference such as 116610LN or a question, or choose filters.")).toBeVisible();

  await search("126610LV");
  await expect(page).toHaveURL(/\/search\?q=126610LV$/);
  await expect(results().getByRole("article")).toHaveCount(1);
  const hit = results().getByRole("article").first();
  await expect(hit.getByRole("link")).toHaveText(offer);
  await expect(hit.getByRole(MARK)).toHaveText("126610LV");
  await expect(hit).toContainText(`from ${seller.name}`);
  await expect(hit).toContainText("Why: exact reference match, matching words");
  await expect(hit.getByRole("list", { name: "Watch listing" })).toContainText("Offer");
  await expect(hit.getByRole("list", { name: "Watch listing" })).toContainText("Rolex");
  // Hybrid asked, words answered: the page says so.
  await expect(page.getByRole("status").filter({ hasText: "results by words only" })).toContainText("keyword results only");
  await expect(searchForm().getByRole("radio", { name: "Hybrid" })).toBeChecked();
  await expectAccessible();
});

test("the mode is in the address: words alone need no notice, meaning alone says it cannot", async () => {
  await searchForm().getByRole("radio", { name: "Words" }).check();
  await expect(page).toHaveURL(/\/search\?q=126610LV&mode=keyword$/);
  await expect(results().getByRole("article")).toHaveCount(1);
  await expect(page.getByText("results by words only")).toHaveCount(0);

  await searchForm().getByRole("radio", { name: "Meaning" }).check();
  await expect(page).toHaveURL(/mode=semantic/);
  await expect(page.getByRole("alert")).toContainText("Searching by meaning alone is unavailable");
  await expect(results()).toHaveCount(0);
  await expectAccessible();

  // Back returns to the previous search, the form as it was.
  await page.goBack();
  await expect(page).toHaveURL(/mode=keyword$/);
  await expect(searchForm().getByRole("radio", { name: "Words" })).toBeChecked();
  await expect(results().getByRole("article")).toHaveCount(1);
  await page.goBack();
  await expect(searchForm().getByRole("radio", { name: "Hybrid" })).toBeChecked();
  await expect(results().getByRole("article")).toHaveCount(1);
});

test("a facet's count is what clicking it keeps", async () => {
  await search("Rolex");
  await expect(results().getByRole("article").filter({ hasText: "126610LV" })).toHaveCount(1);
  await expect(results().getByRole("article").filter({ hasText: "116500LN" })).toHaveCount(1);
  const types = page.getByRole("group", { name: "Type of listing" });
  const wanted = types.getByRole("button", { name: /^Wanted \d+$/ });
  await expect(wanted).toHaveAttribute("aria-pressed", "false");
  const count = Number(((await wanted.textContent()) ?? "").replace(/\D/g, ""));
  expect(count).toBeGreaterThanOrEqual(1);

  await wanted.click();
  await expect(page).toHaveURL(/[?&]type=wanted/);
  await expect(types.getByRole("button", { name: /^Wanted \d+$/ })).toHaveAttribute("aria-pressed", "true");
  await expect(results().getByRole("article")).toHaveCount(count);
  await expect(results().getByRole("article").filter({ hasText: "116500LN" })).toHaveCount(1);
  await expect(results().getByRole("article").filter({ hasText: "126610LV" })).toHaveCount(0);
  await expect(searchForm().getByLabel("Type of listing")).toHaveValue("wanted");

  // Clicked again, it lets go.
  await types.getByRole("button", { name: /^Wanted \d+$/ }).click();
  await expect(page).not.toHaveURL(/type=wanted/);
  await expect(results().getByRole("article").filter({ hasText: "126610LV" })).toHaveCount(1);

  // The filters refuse what cannot be sent, and keep it as typed.
  await searchForm().getByLabel("Lowest price").fill("20000");
  await searchForm().getByLabel("Highest price").fill("10000");
  await searchForm().getByRole("button", { name: "Apply" }).click();
  await expect(searchForm().getByRole("alert")).toHaveText("The lowest price must not be above the highest.");
  await expect(searchForm().getByLabel("Lowest price")).toHaveValue("20000");
  await searchForm().getByLabel("Highest price").fill("");
  await searchForm().getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/min_price=20000/);
  await expect(results().getByRole("article").filter({ hasText: "116500LN" })).toHaveCount(1);
  await expect(results().getByRole("article").filter({ hasText: "126610LV" })).toHaveCount(0);
  await expectAccessible();
});

test("a result opens its conversation at the message, highlighted", async () => {
  await search("126610LV");
  await searchForm().getByRole("button", { name: "Clear" }).click();
  await expect(page).toHaveURL(/\/search\?q=126610LV$/);
  await results().getByRole("link", { name: offer }).click();
  await expect(page).toHaveURL(/\/conversations\/[^?]+\?message=/);
  await expect(page.getByRole("heading", { name: seller.name })).toBeVisible();
  const found = messages().getByRole("listitem").filter({ hasText: "126610LV" });
  await expect(found).toHaveAttribute("aria-current", "true");
  await expect(found).toBeInViewport();
  await expect(found).toBeFocused();
  // It was more than a page back: the newest message is out of view.
  await expect(messages().getByText(`Message de suivi numéro ${LATER}`, { exact: true })).not.toBeInViewport();
  await expect(messages().getByRole("listitem").filter({ hasText: `Message de suivi numéro ${LATER}` })).not.toHaveAttribute("aria-current", "true");
});

test("the inbox's search box finds conversations by name and messages by words", async () => {
  await page.getByRole("navigation").getByRole("link", { name: "Inbox" }).click();
  const box = page.getByRole("searchbox", { name: "Search names, numbers and messages" });
  await box.fill("126610LV");
  const matches = page.getByRole("region", { name: "Messages" });
  await expect(matches.getByRole("link", { name: offer })).toBeVisible();
  await expect(matches.getByRole(MARK)).toHaveText("126610LV");
  await expect(page.getByText("No conversation's name or number matches.")).toBeVisible();
  await expectAccessible();

  // A name still finds its conversation, as before.
  await box.fill("Rudi");
  await expect(page.getByRole("list", { name: "Conversations" }).getByRole("link", { name: new RegExp(buyer.name) })).toBeVisible();
  await expect(page.getByRole("list", { name: "Conversations" }).getByRole("link")).toHaveCount(1);

  await box.fill("Daytona");
  await matches.getByRole("link", { name: request }).click();
  await expect(page.getByRole("heading", { name: buyer.name })).toBeVisible();
  await expect(messages().getByRole("listitem").filter({ hasText: "116500LN" })).toHaveAttribute("aria-current", "true");

  await matches.getByRole("link", { name: "See all results" }).click();
  await expect(page).toHaveURL(/\/search\?q=Daytona$/);
  await expect(results().getByRole("link", { name: request })).toBeVisible();
  await expect(results().getByRole("article").filter({ hasText: request })).toContainText("Why: matching words");

  // Without words, the list is the list again.
  await page.getByRole("navigation").getByRole("link", { name: "Inbox" }).click();
  await page.getByRole("searchbox", { name: "Search names, numbers and messages" }).fill("");
  await expect(page.getByRole("region", { name: "Messages" })).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Conversations" }).getByRole("link", { name: new RegExp(seller.name) })).toBeVisible();
});

test("more results load a page at a time, until there are none", async () => {
  await page.goto("/search?q=suivi");
  await expect(page.getByRole("heading", { name: /Messages found/ })).toContainText(`${LATER} found`);
  await expect(results().getByRole("article")).toHaveCount(20);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(results().getByRole("article")).toHaveCount(40);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(results().getByRole("article")).toHaveCount(LATER);
  await expect(page.getByRole("button", { name: "Load more" })).toHaveCount(0);
  // Each once: the pages follow one another without overlap.
  const links = await results().getByRole("link").allTextContents();
  expect(new Set(links).size).toBe(LATER);
});

test("on a phone the filters fold away and the results follow the query box", async () => {
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto("/search?q=126610LV");
  await expect(results().getByRole("article")).toHaveCount(1);
  await expect(searchForm().getByLabel("Brand")).toBeHidden();
  await expect(results().getByRole("link", { name: offer })).toBeInViewport();
  await searchForm().getByRole("button", { name: "Show the filters" }).click();
  await expect(searchForm().getByLabel("Brand")).toBeVisible();
  await expectAccessible();
  await page.setViewportSize({ width: 1280, height: 720 });
});
