import { expect, test as base, type Browser, type BrowserContext } from "@playwright/test";

/**
 * Playwright's `test` and `expect`, with every page held to the app's Content-Security-Policy: each
 * violation a page reports fails the test it happened in (one that happens in `afterAll` fails the run),
 * listing what was blocked and where. The specs import `test` from here, never from `@playwright/test`.
 *
 * The specs open their pages with `browser.newContext()` (one page kept across a file's tests), so the
 * recording is set up on every context the worker's browser makes: a `securitypolicyviolation`
 * listener in every document, which keeps what it saw on `window` and hands it to the test at once
 * (through a binding, so a violation just before a navigation is not lost), and the console, where
 * Chromium writes "Refused to … because it violates the following Content Security Policy directive".
 */

/** One violation a page reported. */
export interface CspViolation {
  /** The page (document) it happened on. */
  page: string;
  /** `securitypolicyviolation` (the DOM event) or `console` (the browser's message about it). */
  via: "securitypolicyviolation" | "console";
  violatedDirective: string;
  blockedURI: string;
  sourceFile: string;
  lineNumber: number;
  /** The console's text (for `console`), or the policy's disposition (for the event). */
  detail: string;
}

/** The fields of a `SecurityPolicyViolationEvent` a page reports. */
type Reported = Pick<CspViolation, "violatedDirective" | "blockedURI" | "sourceFile" | "lineNumber" | "detail"> & { page: string };

const binding = "__inboxCspViolation";

/** Runs in every document before its own scripts: records its violations on `window` and reports them. */
function listen(name: string) {
  const w = window as unknown as Window & {
    __cspViolations?: Reported[];
  } & Record<string, unknown>;
  const seen: Reported[] = (w.__cspViolations = []);
  document.addEventListener(
    "securitypolicyviolation",
    (e) => {
      const v: Reported = {
        page: location.href,
        violatedDirective: e.violatedDirective,
        blockedURI: e.blockedURI,
        sourceFile: e.sourceFile,
        lineNumber: e.lineNumber,
        detail: e.disposition,
      };
      seen.push(v);
      const report = w[name];
      if (typeof report === "function") void (report as (v: Reported) => Promise<void>)(v);
    },
    true,
  );
}

/** What the worker's contexts reported and no test has claimed yet. */
class Recorder {
  private pending: CspViolation[] = [];

  async watch(context: BrowserContext) {
    context.on("console", (message) => {
      const text = message.text();
      if (!text.includes("Content Security Policy")) return;
      const { url, lineNumber } = message.location();
      this.pending.push({
        page: message.page()?.url() ?? "",
        via: "console",
        violatedDirective: /directive:?\s*["']([a-z-]+)/.exec(text)?.[1] ?? "",
        blockedURI: "",
        sourceFile: url,
        // Playwright counts a console message's lines from 0, the event from 1.
        lineNumber: lineNumber + 1,
        detail: text,
      });
    });
    await context.exposeBinding(binding, (_source, v: Reported) => {
      this.pending.push({ ...v, via: "securitypolicyviolation" });
    });
    await context.addInitScript(listen, binding);
  }

  /** Lets every open page deliver what it has queued, then hands over (and forgets) what was recorded. */
  async take(browser: Browser): Promise<CspViolation[]> {
    for (const context of browser.contexts()) {
      for (const page of context.pages()) {
        // A round trip through the page's event loop; a page that is closing or navigating has nothing
        // more to say.
        await page.evaluate(() => new Promise((done) => setTimeout(done, 0))).catch(() => undefined);
      }
    }
    return this.pending.splice(0);
  }
}

/** A violation on one line: what was blocked, where, on which page (and the browser's own words). */
function describe(v: CspViolation): string {
  const line = `[${v.via}] ${v.violatedDirective || "?"} blocked ${v.blockedURI || "?"} at ${v.sourceFile || "?"}:${v.lineNumber} on ${v.page}`;
  return v.via === "console" ? `${line}: ${v.detail}` : line;
}

export const test = base.extend<{ cspViolations: void }, { cspRecorder: Recorder }>({
  cspRecorder: [
    async ({ browser }, use) => {
      const recorder = new Recorder();
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (options) => {
        const context = await newContext(options);
        await recorder.watch(context);
        return context;
      };
      await use(recorder);
      browser.newContext = newContext;
      // What the last file's `afterAll` caused (an earlier file's falls to the next test).
      const late = await recorder.take(browser);
      if (late.length > 0) throw new Error(`Content-Security-Policy violations after the last test:\n${late.map(describe).join("\n")}`);
    },
    { scope: "worker", auto: true },
  ],
  cspViolations: [
    async ({ browser, cspRecorder }, use) => {
      await use();
      // Everything since the last test's check: this test, its hooks, and a `beforeAll` before it.
      const violations = await cspRecorder.take(browser);
      expect(violations.map(describe), "Content-Security-Policy violations").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
