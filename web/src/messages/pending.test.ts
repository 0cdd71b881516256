import { describe, expect, it } from "vitest";
import { firstUnreadKey, PendingStore, reconcile } from "./pending";
import { message } from "../test/messages";

const conversation = "1122334455667-447700900123";

describe("sending a message", () => {
  it("shows the message at once as sending", () => {
    const store = new PendingStore();
    const item = store.add(conversation, "On its way");
    const shown = reconcile([], store.snapshot(), conversation, (id) => store.keyOf(id));
    expect(shown).toHaveLength(1);
    expect(shown[0]?.key).toBe(item.clientId);
    expect(shown[0]?.message).toMatchObject({ body: "On its way", status: "sending", direction: "outbound" });
  });

  it("replaces it by the server's message under the same key, never showing both", () => {
    const store = new PendingStore();
    const item = store.add(conversation, "On its way");
    store.resolve(item.clientId, "0b6c-server-id");
    const before = reconcile([], store.snapshot(), conversation, (id) => store.keyOf(id));
    const real = message({ id: "0b6c-server-id", direction: "outbound", body: "On its way", status: "queued" });
    // The server's page shows it before the store has settled: still one message.
    const after = reconcile([real], store.snapshot(), conversation, (id) => store.keyOf(id));
    expect(after).toHaveLength(1);
    expect(after[0]).toEqual({ key: before[0]?.key, message: real, pending: null });
    store.settle(new Set(["0b6c-server-id"]));
    expect(store.snapshot()).toHaveLength(0);
    expect(reconcile([real], store.snapshot(), conversation, (id) => store.keyOf(id))[0]?.key).toBe(item.clientId);
  });

  it("keeps a message the server refused, with why, until dismissed", () => {
    const store = new PendingStore();
    const item = store.add(conversation, "Hello");
    store.fail(item.clientId, "the reply window is closed");
    const shown = reconcile([], store.snapshot(), conversation, (id) => store.keyOf(id));
    expect(shown[0]?.message.status).toBe("failed");
    expect(shown[0]?.pending?.error).toBe("the reply window is closed");
    store.remove(item.clientId);
    expect(reconcile([], store.snapshot(), conversation, (id) => store.keyOf(id))).toEqual([]);
  });

  it("shows pending messages only in their own conversation, after the server's", () => {
    const store = new PendingStore();
    store.add("other-conversation", "elsewhere");
    const mine = store.add(conversation, "here");
    const older = message({ id: "wamid.old", body: "Hi" });
    const shown = reconcile([older], store.snapshot(), conversation, (id) => store.keyOf(id));
    expect(shown.map((s) => s.key)).toEqual(["wamid.old", mine.clientId]);
  });

  it("does not drop a message whose answer has not come, whatever the server shows", () => {
    const store = new PendingStore();
    store.add(conversation, "waiting");
    store.settle(new Set(["something-else"]));
    expect(store.snapshot()).toHaveLength(1);
  });
});

describe("the unread separator", () => {
  it("goes before the oldest of the customer's unread messages", () => {
    const shown = [
      message({ id: "in-1", direction: "inbound" }),
      message({ id: "out-1", direction: "outbound" }),
      message({ id: "in-2", direction: "inbound" }),
      message({ id: "out-2", direction: "outbound" }),
      message({ id: "in-3", direction: "inbound" }),
    ].map((m) => ({ key: m.id, message: m, pending: null }));
    expect(firstUnreadKey(shown, 2)).toBe("in-2");
    expect(firstUnreadKey(shown, 0)).toBeNull();
    // More unread than loaded: the oldest loaded message from the customer.
    expect(firstUnreadKey(shown, 9)).toBe("in-1");
  });
});
