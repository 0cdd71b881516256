import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { Account, Me } from "../api/client";
import { I18nProvider } from "../i18n/i18n";
import { BotScreen } from "./BotScreen";
import { draftFromSettings, settingsFromDraft, type BotConfig, type BotSettings } from "./logic";

// The client keeps the Request and fetch it finds when it is imported: before that, a Request that reads
// the app's relative paths against a local origin (Node's refuses them outside a browser), and a fetch
// that answers as each test's server does.
const served = vi.hoisted(() => {
  const Base = globalThis.Request;
  globalThis.Request = class extends Base {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(typeof input === "string" ? new URL(input, "http://localhost") : input, init);
    }
  } as typeof Request;
  const served: { by: (request: Request) => Promise<Response> } = { by: () => Promise.reject(new TypeError("no server")) };
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => served.by(input instanceof Request ? input : new Request(input, init));
  return served;
});

const admin: Me = {
  user: { id: "u1", email: "ada@example.com", name: "Ada", active: true, roles: [], overrides: [] },
  authenticated_by: "session",
  permissions: [],
  accounts: [{ account_id: "111", permissions: ["bot.manage", "messages.view"] }],
};
const account = { id: "111" } as Account;

const saved: BotConfig = {
  version: 4,
  // What the server sends before a first save: every field, most of them empty.
  settings: settingsFromDraft(
    draftFromSettings({ fallback_phrase: "Un collègue vous répond.", attachment_phrase: "Écrivez-le.", confidence_threshold: 0.72, history_messages: 12, max_replies: 6, reply_window_minutes: 10 } as BotSettings),
  ).settings,
  server_model: "gemini:gemini-3.5-flash-lite",
  server_escalation_number: null,
};

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** The server as these tests need it: the saved settings, an empty preview and knowledge base, and `put` for a save. */
function server(put: (body: { settings: unknown; version: number }) => Response) {
  const calls: { method: string; path: string; body: unknown }[] = [];
  served.by = async (request: Request) => {
    const path = new URL(request.url).pathname;
    const body = request.method === "GET" ? null : await request.clone().json().catch(() => null);
    calls.push({ method: request.method, path, body });
    if (path === "/api/v1/accounts/111/bot" && request.method === "GET") return json(200, saved);
    if (path === "/api/v1/accounts/111/bot" && request.method === "PUT") return put(body as { settings: unknown; version: number });
    if (path === "/api/v1/accounts/111/bot/preview") return json(200, { system: "rules", turns: [], schema: {}, sections: [], version: 4 });
    if (path === "/api/v1/accounts/111/bot/qa") return json(200, []);
    return json(404, { error: { code: "not_found", message: "no" } });
  };
  return calls;
}

function show() {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <I18nProvider>
        <BotScreen account={account} name="Shop" me={admin} />
      </I18nProvider>
    </QueryClientProvider>,
  );
}

afterEach(() => cleanup());

describe("a number's bot page", () => {
  it("saves the form at the version it was read at, and says when someone saved meanwhile", async () => {
    const calls = server(() => json(409, { error: { code: "stale_settings", message: "the settings were saved since version 4" } }));
    show();
    const form = await screen.findByRole("form", { name: "Settings and playbook" });
    fireEvent.change(within(form).getByRole("textbox", { name: "Frequently asked questions" }), { target: { value: "Q: open? A: 10 to 19" } });
    fireEvent.click(within(form).getByRole("switch", { name: "The bot answers this number's customers" }));
    fireEvent.submit(form);
    const alert = await within(form).findByRole("alert");
    expect(alert.textContent).toMatch(/Someone saved these settings/);
    const put = calls.find((c) => c.method === "PUT");
    expect(put?.body).toMatchObject({ version: 4, settings: { enabled: true, playbook: { faq: "Q: open? A: 10 to 19" } } });
    // Loading their version puts the saved settings back in the form.
    fireEvent.click(within(alert).getByRole("button", { name: "Load their version" }));
    await waitFor(() => expect((within(form).getByRole("textbox", { name: "Frequently asked questions" }) as HTMLTextAreaElement).value).toBe(""));
    expect(within(form).queryByRole("alert")).toBeNull();
  });

  it("shows the field the server refused next to it", async () => {
    server(() => json(400, { error: { code: "invalid_bot_settings", message: "escalation_number: not a phone number", details: { field: "escalation_number" } } }));
    show();
    const form = await screen.findByRole("form", { name: "Settings and playbook" });
    const number = within(form).getByRole("textbox", { name: "Escalation number" });
    fireEvent.change(number, { target: { value: "call me" } });
    fireEvent.submit(form);
    await waitFor(() => expect(number.getAttribute("aria-invalid")).toBe("true"));
    const described = (number.getAttribute("aria-describedby") ?? "").split(" ").map((id) => document.getElementById(id)?.textContent);
    expect(described).toContain("not a phone number");
  });

  it("checks the numbers before sending anything", async () => {
    const calls = server(() => json(500, {}));
    show();
    const form = await screen.findByRole("form", { name: "Settings and playbook" });
    const threshold = within(form).getByRole("textbox", { name: "Confidence threshold" });
    fireEvent.change(threshold, { target: { value: "2" } });
    fireEvent.submit(form);
    expect(threshold.getAttribute("aria-invalid")).toBe("true");
    expect(calls.some((c) => c.method === "PUT")).toBe(false);
  });
});
