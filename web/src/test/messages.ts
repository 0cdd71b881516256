import type { Message } from "../api/client";

/** A message as the API gives it, with what a test says about it. */
export function message(overrides: Partial<Message>): Message {
  return {
    id: "wamid.1",
    conversation_id: "1122334455667-447700900123",
    direction: "inbound",
    kind: "text",
    body: null,
    content: null,
    forwarded: false,
    sent_at: "2026-03-02T10:15:00Z",
    attempts: 0,
    statuses: {},
    reactions: [],
    edits: [],
    ...overrides,
  };
}
