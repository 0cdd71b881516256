import { expect, type Page } from "@playwright/test";

/** The install's first admin, as `inbox.spec.ts` creates them through the setup form. */
export const admin = { name: "Ada Admin", email: "ada@example.com", password: "correct horse battery staple" };

/**
 * Signs `page` in as the first admin. The specs share one server: when this file's spec runs alone, the
 * install is new and the admin is created first (through the API, as the setup form would).
 */
export async function signInAsAdmin(page: Page, baseURL: string | undefined) {
  const setup = await page.request.get("/api/v1/auth/setup");
  expect(setup.ok()).toBe(true);
  if (((await setup.json()) as { needed: boolean }).needed) {
    const created = await page.request.post("/api/v1/auth/setup", {
      headers: { origin: baseURL ?? "" },
      data: { ...admin, cookie: true },
    });
    expect(created.ok()).toBe(true);
    await page.goto("/");
  } else {
    await signIn(page, admin);
  }
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

/** Signs in through the sign-in form, as a person would. */
export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto("/");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}
