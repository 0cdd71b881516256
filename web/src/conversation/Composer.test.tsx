import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { Conversation, Me } from "../api/client";
import { I18nProvider } from "../i18n/i18n";
import { Composer } from "./Composer";
import { keys } from "../api/queries";

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

const me: Me = {
  user: { id: "u1", email: "ann@example.com", name: "Ann Agent", active: true, roles: [], overrides: [] },
  authenticated_by: "session",
  permissions: [],
  accounts: [{ account_id: "111", permissions: ["messages.send", "conversations.manage"] }],
};

const conversation = {
  id: "111-447700900701",
  account_id: "111",
  contact: { contact_id: "447700900701", wa_id: "447700900701", name: "Tess Team" },
  is_group: false,
  reply_window_open: true,
  reply_window_closes_at: "2099-01-01T00:00:00Z",
  last_inbound_at: "2026-11-30T10:00:00Z",
  unread_count: 0,
  favourite: false,
  archived: false,
  bot_enabled: false,
  message_count: 1,
  created_at: "2026-11-30T10:00:00Z",
  updated_at: "2026-11-30T10:00:00Z",
  status: "open",
  labels: [],
} as Conversation;

/** The server: two canned replies, the number's name, two colleagues, and notes posted. */
function server() {
  const calls: { method: string; path: string; body: unknown }[] = [];
  served.by = async (request: Request) => {
    const url = new URL(request.url);
    const body = request.method === "GET" ? null : await request.clone().json().catch(() => null);
    calls.push({ method: request.method, path: url.pathname + url.search, body });
    switch (url.pathname) {
      case "/api/v1/replies":
        return json(200, [
          { id: "r1", shortcut: "thanks", text: "Thank you {{contact_name}}, {{agent_name}} of {{number_name}} here.", saved_at: "2026-11-30T10:00:00Z" },
          { id: "r2", shortcut: "hours", text: "We open at 9.", saved_at: "2026-11-30T10:00:00Z" },
        ]);
      case "/api/v1/agents":
        return json(200, [
          { id: "u1", email: "ann@example.com", name: "Ann Agent", active: true, available: true, teams: [] },
          { id: "u2", email: "cy@example.com", name: "Cy Colleague", active: true, available: false, teams: [] },
        ]);
      case "/api/v1/conversations/111-447700900701/notes":
        return json(201, { id: "n1", conversation_id: conversation.id, direction: "note", forwarded: false, attempts: [], statuses: [], reactions: [], edits: [] });
      default:
        return json(404, { error: { code: "not_found", message: "no" } });
    }
  };
  return calls;
}

function show(props: Partial<{ canSend: boolean; conversation: Conversation }> = {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  // The numbers as the inbox has them already: the reply names this one.
  client.setQueryData(keys.accounts, [{ id: "111", name: "Watches Paris" }]);
  render(
    <QueryClientProvider client={client}>
      <I18nProvider>
        <Composer
          conversation={props.conversation ?? conversation}
          canSend={props.canSend ?? true}
          me={me}
          mayNote={true}
          replyTo={null}
          onCancelReply={() => undefined}
        />
      </I18nProvider>
    </QueryClientProvider>,
  );
}

describe("the / picker", () => {
  it("lists the canned replies as the agent types, moves with the arrows and puts the chosen one in, filled", async () => {
    server();
    show();
    const box = screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: "/" } });
    const picker = await screen.findByRole("listbox", { name: "Canned replies" });
    await waitFor(() => expect(within(picker).getAllByRole("option").map((o) => o.querySelector("strong")?.textContent)).toEqual(["/hours", "/thanks"]));
    expect(within(picker).getAllByRole("option")[0]?.getAttribute("aria-selected")).toBe("true");
    fireEvent.keyDown(box, { key: "ArrowDown" });
    const second = within(picker).getAllByRole("option")[1]!;
    expect(second.getAttribute("aria-selected")).toBe("true");
    expect(box.getAttribute("aria-activedescendant")).toBe(second.id);
    fireEvent.keyDown(box, { key: "Enter" });
    await waitFor(() => expect(box.value).toBe("Thank you Tess Team, Ann Agent of Watches Paris here."));
    expect(screen.queryByRole("listbox")).toBeNull();
  });

  it("narrows to what is typed, and Escape closes it without changing the text", async () => {
    server();
    show();
    const box = screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: "/hou" } });
    const picker = await screen.findByRole("listbox", { name: "Canned replies" });
    await waitFor(() => expect(within(picker).getAllByRole("option")).toHaveLength(1));
    fireEvent.keyDown(box, { key: "Escape" });
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(box.value).toBe("/hou");
  });

  it("is not offered outside the 24-hour window, where templates are", async () => {
    const calls = server();
    show({ conversation: { ...conversation, reply_window_open: false } });
    expect((screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement).disabled).toBe(true);
    expect(screen.getByRole("button", { name: /template/i })).toBeTruthy();
    await new Promise((done) => setTimeout(done, 0));
    expect(calls.some((c) => c.path.startsWith("/api/v1/replies"))).toBe(false);
  });
});

describe("a private note", () => {
  it("is written in Note mode, names the colleagues picked with @, and is posted as a note", async () => {
    const calls = server();
    show();
    fireEvent.click(screen.getByRole("button", { name: "Note" }));
    const box = screen.getByRole("textbox", { name: "Private note" }) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: "Ask @c", selectionStart: 6 } });
    box.setSelectionRange(6, 6);
    fireEvent.select(box);
    const picker = await screen.findByRole("listbox", { name: "Colleagues to mention" });
    // The writer is not offered.
    await waitFor(() => expect(within(picker).getAllByRole("option").map((o) => o.querySelector("strong")?.textContent)).toEqual(["Cy Colleague"]));
    fireEvent.keyDown(box, { key: "Enter" });
    await waitFor(() => expect(box.value).toBe("Ask @Cy Colleague "));
    fireEvent.change(box, { target: { value: "Ask @Cy Colleague about the box" } });
    fireEvent.click(screen.getByRole("button", { name: "Add the note" }));
    await waitFor(() => expect(calls.find((c) => c.method === "POST")?.body).toEqual({ text: "Ask @Cy Colleague about the box", mentions: ["u2"] }));
    await waitFor(() => expect(box.value).toBe(""));
  });
});
