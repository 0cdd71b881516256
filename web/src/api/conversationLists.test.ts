import { describe, expect, it } from "vitest";
import type { InfiniteData } from "@tanstack/react-query";
import type { Conversation, ConversationPage } from "./client";
import { placeConversation, shows } from "./conversationLists";
import type { ConversationFilter } from "./queries";

function conversation(id: string, lastAt: string, overrides: Partial<Conversation> = {}): Conversation {
  return {
    id,
    account_id: "1122334455667",
    contact: { contact_id: id },
    is_group: false,
    last_message: { message_id: `m-${id}`, at: lastAt },
    reply_window_open: true,
    unread_count: 0,
    favourite: false,
    archived: false,
    bot_enabled: false,
    message_count: 1,
    created_at: "2026-03-01T00:00:00Z",
    updated_at: lastAt,
    status: "open",
    labels: [],
    ...overrides,
  };
}

function list(...pages: [Conversation[], string | null][]): InfiniteData<ConversationPage, string | undefined> {
  return {
    pages: pages.map(([conversations, next]) => ({ conversations, next_cursor: next })),
    pageParams: pages.map((_, i) => (i === 0 ? undefined : `c${i}`)),
  };
}

const ids = (data: InfiniteData<ConversationPage, string | undefined>) => data.pages.map((p) => p.conversations.map((c) => c.id));
const all: ConversationFilter = { account: null, filter: "all", q: "", view: "all", status: null, label: null, team: null };

describe("a conversation changing in a loaded list", () => {
  const a = conversation("a", "2026-03-02T10:00:00Z");
  const b = conversation("b", "2026-03-02T09:00:00Z");
  const c = conversation("c", "2026-03-02T08:00:00Z");
  const d = conversation("d", "2026-03-02T07:00:00Z");

  it("moves to the top when a new message comes", () => {
    const data = list([[a, b], "c1"], [[c, d], null]);
    const newer = { ...d, last_message: { message_id: "m2", at: "2026-03-02T11:00:00Z" } };
    expect(ids(placeConversation(data, newer, true))).toEqual([["d", "a", "b"], ["c"]]);
  });

  it("stays where it is when only a flag changes", () => {
    const data = list([[a, b, c], null]);
    expect(ids(placeConversation(data, { ...b, favourite: true }, true))).toEqual([["a", "b", "c"]]);
  });

  it("leaves the list it no longer belongs to", () => {
    const data = list([[a, b, c], null]);
    expect(ids(placeConversation(data, { id: "b" }, false))).toEqual([["a", "c"]]);
  });

  it("waits for its page when it sorts after everything loaded so far", () => {
    const data = list([[a, b], "c1"]);
    expect(ids(placeConversation(data, d, true))).toEqual([["a", "b"]]);
  });
});

describe("which list shows a conversation", () => {
  const base = conversation("x", "2026-03-02T10:00:00Z");
  it("follows the filters the server applies", () => {
    expect(shows(all, base)).toBe(true);
    expect(shows(all, { ...base, archived: true })).toBe(false);
    expect(shows({ ...all, filter: "archived" }, { ...base, archived: true })).toBe(true);
    expect(shows({ ...all, filter: "unread" }, base)).toBe(false);
    expect(shows({ ...all, filter: "unread" }, { ...base, unread_count: 2 })).toBe(true);
    expect(shows({ ...all, filter: "favourites" }, { ...base, favourite: true })).toBe(true);
    expect(shows({ ...all, filter: "groups" }, base)).toBe(false);
    expect(shows({ ...all, account: "999" }, base)).toBe(false);
  });

  it("leaves a search to the server", () => {
    expect(shows({ ...all, q: "ann" }, base)).toBeNull();
  });
});

describe("the team views in a loaded list", () => {
  const open = conversation("o", "2026-03-02T10:00:00Z", { assignee: "u-ann", labels: ["vip"] });
  const resolved = conversation("r", "2026-03-02T09:00:00Z", { status: "resolved" });

  it("shows a conversation only in the status it is in", () => {
    expect(shows({ ...all, status: "open" }, open)).toBe(true);
    expect(shows({ ...all, status: "open" }, resolved)).toBe(false);
    expect(shows({ ...all, status: "resolved" }, resolved)).toBe(true);
    expect(shows(all, resolved)).toBe(true);
  });

  it("shows the caller's own under Mine, the others' under none but All, and filters by label", () => {
    expect(shows({ ...all, view: "mine", self: "u-ann" }, open)).toBe(true);
    expect(shows({ ...all, view: "mine", self: "u-bob" }, open)).toBe(false);
    expect(shows({ ...all, view: "unassigned" }, open)).toBe(false);
    expect(shows({ ...all, view: "unassigned" }, resolved)).toBe(true);
    expect(shows({ ...all, label: "vip" }, open)).toBe(true);
    expect(shows({ ...all, label: "vip" }, resolved)).toBe(false);
    expect(shows({ ...all, team: "t1" }, { ...open, team_id: "t1" })).toBe(true);
    expect(shows({ ...all, team: "t1" }, open)).toBe(false);
  });

  it("leaves Mine to the server when it does not know who is asking", () => {
    expect(shows({ ...all, view: "mine" }, open)).toBeNull();
  });
});
