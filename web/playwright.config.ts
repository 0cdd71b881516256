import { defineConfig } from "@playwright/test";

// Run through `scripts/web e2e`, which starts the server, its database, wa-sim and llm-sim, and sets
// these (E2E_SIM_URL and E2E_LLM_URL are read by the specs).
const baseURL = process.env.E2E_BASE_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  testDir: "e2e",
  outputDir: process.env.E2E_OUTPUT ?? "test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  reporter: [["list"]],
  // `inbox.spec.ts` creates the first admin through the setup screen, so it runs before every other file
  // (which otherwise run in the order of their names, `bot` before `inbox`).
  projects: [
    { name: "first-admin", testMatch: /inbox\.spec\.ts$/ },
    { name: "areas", testIgnore: /inbox\.spec\.ts$/, dependencies: ["first-admin"] },
  ],
  use: {
    baseURL,
    locale: "en-GB",
    timezoneId: "Europe/London",
    trace: "off",
    launchOptions: {
      // Debian's chromium; Playwright's own browsers are never downloaded.
      executablePath: process.env.E2E_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    },
  },
});
