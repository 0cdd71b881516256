import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { Conversation, Me } from "../api/client";
import { I18nProvider } from "../i18n/i18n";
import { ConversationTeamwork } from "./ConversationTeamwork";

// As in `BotScreen.test.tsx`: relative requests read against a local origin, answered by each test's server.
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

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const conversation = {
  id: "111-4477",
  account_id: "111",
  contact: { contact_id: "4477", name: "Tess Team" },
  is_group: false,
  reply_window_open: true,
  unread_count: 0,
  favourite: false,
  archived: false,
  bot_enabled: false,
  message_count: 1,
  created_at: "2026-11-30T10:00:00Z",
  updated_at: "2026-11-30T10:00:00Z",
  status: "open",
  labels: ["l1"],
} as Conversation;

function who(permissions: string[]): Me {
  return {
    user: { id: "u1", email: "ann@example.com", name: "Ann Agent", active: true, roles: [], overrides: [] },
    authenticated_by: "session",
    permissions: [],
    accounts: [{ account_id: "111", permissions }],
  };
}

function server() {
  const calls: { method: string; path: string; body: unknown }[] = [];
  served.by = async (request: Request) => {
    const url = new URL(request.url);
    const body = request.method === "GET" ? null : await request.clone().json().catch(() => null);
    calls.push({ method: request.method, path: url.pathname, body });
    if (url.pathname === "/api/v1/agents") {
      return json(200, [
        { id: "u1", email: "ann@example.com", name: "Ann Agent", active: true, available: true, teams: [] },
        { id: "u2", email: "cy@example.com", name: "Cy Colleague", active: true, available: false, teams: [] },
      ]);
    }
    if (url.pathname === "/api/v1/teams") return json(200, []);
    if (url.pathname === "/api/v1/labels") {
      return json(200, [
        { id: "l1", name: "VIP", colour: "#ffd54f", saved_at: "2026-11-30T10:00:00Z" },
        { id: "l2", name: "Wholesale", colour: "#1a237e", saved_at: "2026-11-30T10:00:00Z" },
      ]);
    }
    if (request.method === "PUT" && url.pathname === "/api/v1/conversations/111-4477/status") {
      return json(200, { ...conversation, status: (body as { status: string }).status });
    }
    if (request.method === "PUT" && url.pathname === "/api/v1/conversations/111-4477/assignee") {
      return json(200, { ...conversation, assignee: (body as { agent: string }).agent });
    }
    return json(404, { error: { code: "not_found", message: "no" } });
  };
  return calls;
}

function show(me: Me, onNext = () => undefined) {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <I18nProvider>
        <ConversationTeamwork conversation={conversation} me={me} onResolvedNext={onNext} />
      </I18nProvider>
    </QueryClientProvider>,
  );
}

describe("a conversation's team work", () => {
  it("resolves and goes to the next one, and assigns it to the agent themselves", async () => {
    const calls = server();
    const next = vi.fn();
    show(who(["conversations.manage", "conversations.assign"]), next);
    const bar = screen.getByRole("group", { name: "Team work" });
    expect(within(bar).getByText("Open")).toBeTruthy();
    await waitFor(() => expect(within(bar).getByRole("list", { name: "Labels" }).textContent).toContain("VIP"));
    fireEvent.click(within(bar).getByRole("button", { name: "Resolve and go to next" }));
    await waitFor(() => expect(next).toHaveBeenCalledOnce());
    expect(calls.find((c) => c.path.endsWith("/status"))?.body).toEqual({ status: "resolved", snoozed_until: null });
    fireEvent.click(within(bar).getByRole("button", { name: "Assign to me" }));
    await waitFor(() => expect(calls.find((c) => c.path.endsWith("/assignee"))?.body).toEqual({ agent: "u1", team: null }));
    // Away colleagues are marked so in the picker.
    expect(within(bar).getByRole("option", { name: "Cy Colleague (away)" })).toBeTruthy();
  });

  it("snoozes until the customer writes", async () => {
    const calls = server();
    show(who(["conversations.manage"]));
    const bar = screen.getByRole("group", { name: "Team work" });
    fireEvent.click(within(bar).getByRole("button", { name: "Snooze" }));
    fireEvent.click(within(bar).getByRole("button", { name: "Until the customer writes" }));
    await waitFor(() => expect(calls.find((c) => c.path.endsWith("/status"))?.body).toEqual({ status: "snoozed", snoozed_until: null }));
  });

  it("disables what the user may not do", async () => {
    server();
    show(who(["conversations.view"]));
    const bar = screen.getByRole("group", { name: "Team work" });
    expect((within(bar).getByRole("button", { name: "Resolve" }) as HTMLButtonElement).disabled).toBe(true);
    expect((within(bar).getByRole("combobox", { name: "Assigned agent" }) as HTMLSelectElement).disabled).toBe(true);
    expect(within(bar).queryByRole("button", { name: "Assign to me" })).toBeNull();
    await waitFor(() => expect(within(bar).getByRole("list", { name: "Labels" }).textContent).toContain("VIP"));
    expect(within(bar).queryByRole("button", { name: "Remove the label VIP" })).toBeNull();
    expect(within(bar).queryByRole("combobox", { name: "Add a label" })).toBeNull();
  });
});
