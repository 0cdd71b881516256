import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import AxeBuilder from "@axe-core/playwright";
import { admin } from "./session";

/**
 * An admin's first day: they set up the install, a customer writes through wa-sim, the message shows up
 * live, they answer, reload, and sign out. One browser page throughout, as one person would; every
 * element is found by its role and accessible name.
 */
test.describe.configure({ mode: "serial" });

const sim = process.env.E2E_SIM_URL ?? "http://127.0.0.1:8900";
const customer = { waId: "447700900123", name: "Ann Lee" };

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await (await browser.newContext()).newPage();
});

test.afterAll(async () => {
  await page.context().close();
});

async function customerWrites(text: string, who = customer, sentAt?: Date) {
  const message = { type: "text", text: { body: text }, ...(sentAt ? { timestamp: String(Math.floor(sentAt.getTime() / 1000)) } : {}) };
  const answer = await page.request.post(`${sim}/sim/customers/${who.waId}/messages`, {
    data: { message, name: who.name },
  });
  expect(answer.ok()).toBe(true);
}

/** No WCAG 2 A or AA violation that axe can find on the page as it stands. */
async function expectAccessible() {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

function messages() {
  return page.getByRole("log", { name: "Messages" });
}

test("sets up the first admin", async () => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Create the first admin" })).toBeVisible();
  await expectAccessible();
  await page.getByLabel("Your name").fill(admin.name);
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Create the admin and sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
});

test("shows a customer's message live", async () => {
  await customerWrites("Is the Speedmaster still available?");
  const conversations = page.getByRole("list", { name: "Conversations" });
  // No reload, no polling: the live stream brings it.
  const row = conversations.getByRole("link", { name: new RegExp(customer.name) });
  await expect(row).toBeVisible({ timeout: 3_000 });
  await expect(row).toContainText("Is the Speedmaster still available?");
  await expect(row).toContainText("1 unread");
  await row.click();
  await expect(page.getByRole("heading", { name: customer.name })).toBeVisible();
  await expect(messages().getByRole("listitem").filter({ hasText: "Is the Speedmaster still available?" })).toBeVisible();
  // Opening it marked it read.
  await expect(row).not.toContainText("unread");

  await customerWrites("And does it come with its box?");
  await expect(messages().getByRole("listitem").filter({ hasText: "And does it come with its box?" })).toBeVisible({
    timeout: 3_000,
  });
});

test("replies with text", async () => {
  const composer = page.getByRole("textbox", { name: "Message" });
  await expect(composer).toHaveAccessibleDescription(/Replies are free until/);
  await composer.fill("Yes, it is, box and papers.");
  await composer.press("Enter");
  await expect(composer).toHaveValue("");
  const reply = messages().getByRole("listitem").filter({ hasText: "Yes, it is, box and papers." });
  await expect(reply).toHaveCount(1);
  // wa-sim reports it delivered and read; it stays one message throughout.
  await expect(reply.getByRole("img", { name: "Read" })).toBeVisible({ timeout: 10_000 });
  await expect(reply).toHaveCount(1);
  const sent = await page.request.get(`${sim}/sim/sent`);
  expect(JSON.stringify(await sent.json())).toContain("Yes, it is, box and papers.");
});

test("quotes the customer's message in a reply", async () => {
  const question = messages().getByRole("listitem").filter({ hasText: "And does it come with its box?" });
  await question.getByRole("button", { name: "Reply" }).click();
  const composer = page.getByRole("textbox", { name: "Message" });
  await expect(composer).toBeFocused();
  await composer.fill("It does, the original box.");
  await composer.press("Enter");
  const reply = messages().getByRole("listitem").filter({ hasText: "It does, the original box." });
  await expect(reply).toHaveCount(1);
  await expect(reply.getByRole("blockquote")).toHaveText(/And does it come with its box\?/);
  await expect(reply.getByRole("img", { name: /Delivered|Read/ })).toBeVisible({ timeout: 10_000 });
  await expect(reply.getByRole("blockquote")).toHaveText(/And does it come with its box\?/);
  const sent = JSON.stringify(await (await page.request.get(`${sim}/sim/sent`)).json());
  expect(sent).toContain("It does, the original box.");
});

test("replies with buttons the customer can tap, within WhatsApp's limits", async () => {
  await page.getByRole("button", { name: "Buttons or list" }).click();
  const dialog = page.getByRole("dialog", { name: "Send choices to tap" });
  await dialog.getByRole("textbox", { name: "Message", exact: true }).fill("Which strap would you like?");
  await dialog.getByRole("textbox", { name: "Button 1" }).fill("Steel bracelet");
  await dialog.getByRole("button", { name: "Add a button" }).click();
  // Too long for a button: said at once, with WhatsApp's limit as the server publishes it.
  await dialog.getByRole("textbox", { name: "Button 2" }).fill("Brown leather with deployant clasp");
  await expect(dialog.getByRole("textbox", { name: "Button 2" })).toHaveAccessibleDescription("Too long: WhatsApp allows 20 characters.");
  await dialog.getByRole("textbox", { name: "Button 2" }).fill("Leather");
  await expect(dialog.getByRole("textbox", { name: "Button 2" })).toHaveAccessibleDescription("7/20");
  await expectAccessible();
  await dialog.getByRole("button", { name: "Send", exact: true }).click();
  await expect(dialog).toBeHidden();
  const sent = messages().getByRole("listitem").filter({ hasText: "Which strap would you like?" });
  await expect(sent).toHaveCount(1);
  await expect(sent).toContainText("Leather");
  await expect(sent.getByRole("img", { name: /Delivered|Read/ })).toBeVisible({ timeout: 10_000 });
  const toMeta = JSON.stringify(await (await page.request.get(`${sim}/sim/sent`)).json());
  expect(toMeta).toContain("Steel bracelet");
  expect(toMeta).toContain("button");
});

test("sends a list of choices", async () => {
  await page.getByRole("button", { name: "Buttons or list" }).click();
  const dialog = page.getByRole("dialog", { name: "Send choices to tap" });
  await dialog.getByRole("radio", { name: /^List/ }).check();
  await dialog.getByRole("textbox", { name: "Message", exact: true }).fill("Our Speedmasters in stock");
  await dialog.getByRole("textbox", { name: "Text of the button that opens the list" }).fill("See them");
  await dialog.getByRole("textbox", { name: "Row 1 of section 1", exact: true }).fill("Moonwatch 310.30");
  await dialog.getByRole("textbox", { name: "Description of row 1 of section 1 (optional)" }).fill("Hesalite, 2022, full set");
  await dialog.getByRole("button", { name: "Add a row to section 1" }).click();
  // Sending with a row left empty says what is missing and sends nothing.
  await dialog.getByRole("button", { name: "Send", exact: true }).click();
  await expect(dialog.getByRole("textbox", { name: "Row 2 of section 1", exact: true })).toHaveAccessibleDescription("Required.");
  await dialog.getByRole("textbox", { name: "Row 2 of section 1", exact: true }).fill("Reduced 3510.50");
  await dialog.getByRole("button", { name: "Send", exact: true }).click();
  await expect(dialog).toBeHidden();
  const sent = messages().getByRole("listitem").filter({ hasText: "Our Speedmasters in stock" });
  await expect(sent).toHaveCount(1);
  await expect(sent.getByRole("img", { name: /Delivered|Read/ })).toBeVisible({ timeout: 10_000 });
  expect(JSON.stringify(await (await page.request.get(`${sim}/sim/sent`)).json())).toContain("Reduced 3510.50");
});

test("inserts an emoji where the cursor is, and sends with Ctrl+Enter when Enter starts a new line", async () => {
  const composer = page.getByRole("textbox", { name: "Message" });
  await composer.fill("Thanks !");
  await composer.press("End");
  await composer.press("ArrowLeft");
  await page.getByRole("button", { name: "Insert an emoji" }).click();
  await page.getByRole("dialog", { name: "Emoji" }).getByRole("button", { name: "🙏" }).click();
  await expect(composer).toHaveValue("Thanks 🙏!");
  await expect(composer).toBeFocused();

  await page.getByRole("button", { name: "Preferences" }).click();
  await page.getByRole("checkbox", { name: "Enter sends the message" }).uncheck();
  await page.keyboard.press("Escape");
  await composer.press("End");
  await composer.press("Enter");
  await composer.pressSequentially("See you soon");
  await expect(composer).toHaveValue("Thanks 🙏!\nSee you soon");
  await composer.press("Control+Enter");
  await expect(composer).toHaveValue("");
  await expect(messages().getByRole("listitem").filter({ hasText: "See you soon" })).toHaveCount(1);
  await page.getByRole("button", { name: "Preferences" }).click();
  await page.getByRole("checkbox", { name: "Enter sends the message" }).check();
  await page.keyboard.press("Escape");
});

test("reacts to the customer's message", async () => {
  const question = messages().getByRole("listitem").filter({ hasText: "Is the Speedmaster still available?" }).first();
  await question.getByRole("button", { name: "React" }).click();
  await question.getByRole("button", { name: "React with 👍" }).click();
  await expect(question.getByRole("list", { name: "Reactions" })).toContainText("👍");
  await expect.poll(async () => JSON.stringify(await (await page.request.get(`${sim}/sim/sent`)).json())).toContain("👍");
});

test("replies with an image", async () => {
  // A 1×1 PNG.
  const png = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    "base64",
  );
  await page.getByLabel("Attach a file").setInputFiles({ name: "front.png", mimeType: "image/png", buffer: png });
  await expect(page.getByRole("button", { name: "Remove front.png" })).toBeVisible();
  const composer = page.getByRole("textbox", { name: "Message" });
  await composer.fill("The front of the watch");
  await composer.press("Enter");
  const enlarge = page.getByRole("button", { name: "Enlarge: The front of the watch" });
  const reply = messages().getByRole("listitem").filter({ has: enlarge });
  await expect(reply).toHaveCount(1);
  await expect(reply.getByRole("img", { name: /Delivered|Read/ })).toBeVisible({ timeout: 10_000 });
  // The picture loads from the inbox's media store, with the session cookie, and opens whole.
  await enlarge.click({ timeout: 5_000 });
  const lightbox = page.getByRole("dialog", { name: "The front of the watch" });
  const picture = lightbox.getByRole("img", { name: "The front of the watch" });
  await expect(picture).toBeVisible();
  expect(await picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 1)).toBe(true);
  await page.keyboard.press("Escape");
  await expect(lightbox).toBeHidden();
  const sent = JSON.stringify(await (await page.request.get(`${sim}/sim/sent`)).json());
  expect(sent).toContain("The front of the watch");
});

test("refuses a file WhatsApp would refuse, before uploading it", async () => {
  await page.getByLabel("Attach a file").setInputFiles({ name: "anim.gif", mimeType: "image/gif", buffer: Buffer.from("GIF89a") });
  await expect(page.getByRole("alert")).toHaveText("WhatsApp does not accept image/gif files.");
  await expect(page.getByRole("button", { name: "Send", exact: true })).toBeDisabled();
});

test("offers only templates once the 24-hour window has closed, and sends one", async () => {
  const late = { waId: "447700900999", name: "Lars Late" };
  await customerWrites("Did my parcel leave?", late, new Date(Date.now() - 2 * 24 * 60 * 60 * 1000));
  // From the keyboard: the list's arrows move between conversations, Enter opens one.
  const conversations = page.getByRole("list", { name: "Conversations" });
  await expect(conversations.getByRole("link", { name: new RegExp(late.name) })).toBeVisible();
  const rows = conversations.getByRole("link");
  await rows.first().focus();
  await page.keyboard.press("ArrowDown");
  await expect(rows.nth(1)).toBeFocused();
  await page.keyboard.press("ArrowUp");
  await expect(rows.first()).toBeFocused();
  await conversations.getByRole("link", { name: new RegExp(late.name) }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: late.name })).toBeVisible();
  const composer = page.getByRole("textbox", { name: "Message" });
  await expect(composer).toBeDisabled();
  await expect(composer).toHaveAccessibleDescription(/only templates can be sent/);
  await expect(page.getByRole("button", { name: "Send", exact: true })).toBeDisabled();

  await page.getByRole("button", { name: "Send a template" }).click();
  const dialog = page.getByRole("dialog", { name: "Send a template" });
  await expect(dialog.getByRole("combobox", { name: "Template" })).toHaveValue("0");
  await dialog.getByRole("textbox", { name: "Text {{1}}" }).fill("Lars");
  await expect(dialog.getByRole("figure", { name: "What the customer will read" })).toContainText("Hello Lars, thanks for your order.");
  await expectAccessible();
  await dialog.getByRole("button", { name: "Send the template" }).click();
  await expect(dialog).toBeHidden();
  const sent = messages().getByRole("listitem").filter({ hasText: "Hello Lars, thanks for your order." });
  await expect(sent).toHaveCount(1);
  await expect(sent.getByRole("img", { name: /Delivered|Read/ })).toBeVisible({ timeout: 10_000 });
  expect(JSON.stringify(await (await page.request.get(`${sim}/sim/sent`)).json())).toContain("hello_world");
  await page.goBack();
  await expect(page.getByRole("heading", { name: customer.name })).toBeVisible();
});

test("writes first to a number that never wrote, with a template", async () => {
  await page.getByRole("button", { name: "New conversation" }).click();
  const dialog = page.getByRole("dialog", { name: "Write first to a customer" });
  await dialog.getByRole("textbox", { name: "Customer's number" }).fill("12");
  await dialog.getByRole("textbox", { name: "Text {{1}}" }).fill("Sam");
  await dialog.getByRole("button", { name: "Send the template" }).click();
  await expect(dialog.getByRole("alert")).toContainText("This number cannot be right");
  await dialog.getByRole("textbox", { name: "Customer's number" }).fill("+44 7700 900555");
  await dialog.getByRole("button", { name: "Send the template" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("heading", { name: "+447700900555" })).toBeVisible();
  const sent = messages().getByRole("listitem").filter({ hasText: "Hello Sam, thanks for your order." });
  await expect(sent).toHaveCount(1);
  await expect(sent.getByRole("img", { name: /Delivered|Read/ })).toBeVisible({ timeout: 10_000 });
  await expect(page.getByRole("list", { name: "Conversations" }).getByRole("link", { name: /\+447700900555/ })).toBeVisible();
  await page.getByRole("list", { name: "Conversations" }).getByRole("link", { name: new RegExp(customer.name) }).click();
  await expect(page.getByRole("heading", { name: customer.name })).toBeVisible();
});

test("an agent of another number sees none of this number's conversations", async ({ browser, baseURL }) => {
  // The admin adds a second number and an agent for it alone (through the API, with the admin's session).
  const asAdmin = { headers: { origin: baseURL ?? "" } };
  const number = await page.request.post("/api/v1/accounts", {
    ...asAdmin,
    data: { phone_number_id: "9988776655443", phone_number: "+15550009999", name: "Second shop" },
  });
  expect(number.status()).toBe(201);
  const agent = { email: "bo@example.com", password: "another long passphrase" };
  const created = await page.request.post("/api/v1/users", {
    ...asAdmin,
    data: { ...agent, name: "Bo Agent", roles: [{ role: "agent", account: "9988776655443" }] },
  });
  expect(created.ok()).toBe(true);

  const other = await (await browser.newContext()).newPage();
  await other.goto("/");
  await other.getByLabel("Email").fill(agent.email);
  await other.getByLabel("Password").fill(agent.password);
  await other.getByRole("button", { name: "Sign in" }).click();
  await expect(other.getByRole("button", { name: "Sign out" })).toBeVisible();
  await expect(other.getByRole("complementary", { name: "Conversations" })).toContainText("No conversations here.");
  await expect(other.getByRole("link", { name: new RegExp(customer.name) })).toHaveCount(0);
  // Nor, in Contacts, the customers who wrote only to this number.
  await other.getByRole("navigation").getByRole("link", { name: "Contacts" }).click();
  await expect(other.getByRole("complementary", { name: "Contacts" })).toContainText("No contacts here.");
  await other.goto(page.url());
  await expect(other.getByRole("alert")).toBeVisible();
  await expect(other.getByRole("heading", { name: customer.name })).toHaveCount(0);
  await other.context().close();
});

test("finds the customer in Contacts and opens their conversation from there", async () => {
  await page.getByRole("navigation").getByRole("link", { name: "Contacts" }).click();
  const contacts = page.getByRole("list", { name: "Contacts" });
  await expect(contacts.getByRole("link", { name: new RegExp(customer.name) })).toBeVisible();
  await expect(contacts.getByRole("link", { name: /Lars Late/ })).toBeVisible();
  // By number: only the customer whose number has these digits stays.
  await page.getByRole("searchbox", { name: "Search contacts by name or number" }).fill("900123");
  await expect(contacts.getByRole("link", { name: /Lars Late/ })).toHaveCount(0);
  await contacts.getByRole("link", { name: new RegExp(customer.name) }).click();
  await expect(page.getByRole("heading", { name: customer.name, exact: true })).toBeVisible();
  await expect(page.getByText(`+${customer.waId}`).first()).toBeVisible();
  // A customer who writes for the first time joins the list live, while it is on screen.
  await page.getByRole("searchbox", { name: "Search contacts by name or number" }).fill("");
  await customerWrites("Hello, first time here", { waId: "447700900777", name: "Nina New" });
  await expect(contacts.getByRole("link", { name: /Nina New/ })).toBeVisible({ timeout: 5_000 });
  await expectAccessible();
  const theirs = page.getByRole("list", { name: `Conversations with ${customer.name}` });
  await expect(theirs.getByRole("link")).toHaveCount(1);
  await theirs.getByRole("link").click();
  await expect(page.getByRole("heading", { name: customer.name, exact: true })).toBeVisible();
  await expect(messages().getByRole("listitem").filter({ hasText: "Yes, it is, box and papers." })).toBeVisible();
  await expect(page.getByRole("list", { name: "Conversations" }).getByRole("link", { name: new RegExp(customer.name) })).toHaveAttribute(
    "aria-current",
    "page",
  );
});

test("shows the conversation's audit trail and the conversation as it stood at an event", async () => {
  await page.getByRole("link", { name: "Audit trail" }).click();
  await expect(page.getByRole("heading", { name: `Audit trail: ${customer.name}` })).toBeVisible();
  const events = page.getByRole("table", { name: "Stored events" });
  await expect(events.getByRole("cell", { name: "WhatsApp (webhook)" }).first()).toBeVisible();
  // The first thing the admin did was open the customer's first message, before the second one came.
  const firstOfYours = events.getByRole("row").filter({ has: page.getByRole("cell", { name: "You", exact: true }) }).first();
  await firstOfYours.getByRole("button", { name: /See as of event/ }).click();
  const then = page.getByRole("list", { name: "Messages then" });
  await expect(then).toContainText("Is the Speedmaster still available?");
  await expect(then).not.toContainText("Yes, it is, box and papers.");
  await expectAccessible();
  // The time line's end is the conversation as it stands now.
  await page.getByRole("slider", { name: "Time line" }).press("End");
  await expect(then).toContainText("Yes, it is, box and papers.");
  await page.getByRole("link", { name: "Back to the conversation" }).click();
  await expect(messages().getByRole("listitem").filter({ hasText: "Yes, it is, box and papers." })).toBeVisible();
});

test("is accessible in both themes and in French", async () => {
  await expectAccessible();
  await page.getByRole("button", { name: "Preferences" }).click();
  await expectAccessible();
  await page.getByRole("combobox", { name: "Theme" }).selectOption({ label: "Dark" });
  await expectAccessible();
  await page.getByRole("combobox", { name: "Language" }).selectOption({ label: "Français" });
  await expect(page.getByRole("button", { name: "Se déconnecter" })).toBeVisible();
  await expect(page.getByRole("log", { name: "Messages" })).toBeVisible();
  await page.getByRole("combobox", { name: "Langue" }).selectOption({ label: "English" });
  await page.getByRole("combobox", { name: "Theme" }).selectOption({ label: "System" });
  await page.keyboard.press("Escape");
  await expect(page.getByRole("combobox", { name: "Theme" })).toBeHidden();
});

test("keeps the session and the open conversation across a reload", async () => {
  await page.reload();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await expect(page.getByRole("heading", { name: customer.name })).toBeVisible();
  await expect(messages().getByRole("listitem").filter({ hasText: "Yes, it is, box and papers." })).toBeVisible();
});

test("signs out", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expectAccessible();
  // Signing in again works with the same password.
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
});
