import type { Message } from "../api/client";

/**
 * Messages the agent sent that the server's list does not show yet. One appears at once as "sending";
 * when the POST answers, it learns the server's id; as soon as the server's messages include that id it
 * is dropped and the real message takes its place under the same React key, so nothing flickers and
 * nothing shows twice.
 */
export interface PendingMessage {
  clientId: string;
  conversationId: string;
  body: string;
  /** ISO time the agent pressed send. */
  at: string;
  /** The id the POST answered with, once it has. */
  serverId: string | null;
  /** Why the POST was refused, if it was. */
  error: string | null;
  /** The file's name, for a media message. */
  attachment: string | null;
  /** The message it quotes (its wamid). */
  replyTo: string | null;
}

export interface ShownMessage {
  /** Stable across the pending → real change. */
  key: string;
  message: Message;
  /** Set while the message is only the agent's copy. */
  pending: PendingMessage | null;
}

type Listener = () => void;

export class PendingStore {
  private items: PendingMessage[] = [];
  /** Server id → the client id it was shown under, so the real message keeps the pending one's key. */
  private keys = new Map<string, string>();
  private listeners = new Set<Listener>();
  private counter = 0;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** A new array whenever something changes (for useSyncExternalStore). */
  snapshot = (): readonly PendingMessage[] => this.items;

  add(
    conversationId: string,
    body: string,
    at: Date = new Date(),
    attachment: string | null = null,
    replyTo: string | null = null,
  ): PendingMessage {
    this.counter += 1;
    const item: PendingMessage = {
      clientId: `pending-${at.getTime()}-${this.counter}`,
      conversationId,
      body,
      at: at.toISOString(),
      serverId: null,
      error: null,
      attachment,
      replyTo,
    };
    this.update([...this.items, item]);
    return item;
  }

  /** The POST answered with the message's id. */
  resolve(clientId: string, serverId: string): void {
    this.keys.set(serverId, clientId);
    this.update(this.items.map((p) => (p.clientId === clientId ? { ...p, serverId } : p)));
  }

  fail(clientId: string, error: string): void {
    this.update(this.items.map((p) => (p.clientId === clientId ? { ...p, error } : p)));
  }

  remove(clientId: string): void {
    this.update(this.items.filter((p) => p.clientId !== clientId));
  }

  /** Drops what the server now shows. */
  settle(serverIds: ReadonlySet<string>): void {
    const left = this.items.filter((p) => p.serverId === null || !serverIds.has(p.serverId));
    if (left.length !== this.items.length) this.update(left);
  }

  keyOf(serverId: string): string {
    return this.keys.get(serverId) ?? serverId;
  }

  private update(items: PendingMessage[]): void {
    this.items = items;
    for (const listener of this.listeners) listener();
  }
}

/** The agent's copy shaped as the API's message, so one component renders both. */
export function pendingAsMessage(p: PendingMessage): Message {
  // A file on its way shows as its name, then its caption.
  const body = p.attachment ? [`📎 ${p.attachment}`, p.body].filter((line) => line !== "").join("\n") : p.body;
  return {
    id: p.serverId ?? p.clientId,
    conversation_id: p.conversationId,
    direction: "outbound",
    kind: "text",
    body,
    content: { kind: "text", body },
    forwarded: false,
    sender: "business",
    reply_to: p.replyTo,
    sent_at: p.at,
    status: p.error ? "failed" : "sending",
    attempts: 0,
    statuses: {},
    reactions: [],
    edits: [],
  };
}

/**
 * The messages to show: the server's, oldest first, then the agent's pending ones of this conversation
 * that the server does not show yet. A pending message the server shows is left out, whatever the store
 * still holds, so there is never a duplicate even before `settle` runs.
 */
export function reconcile(
  server: readonly Message[],
  pending: readonly PendingMessage[],
  conversationId: string,
  keyOf: (serverId: string) => string,
): ShownMessage[] {
  const ids = new Set(server.map((m) => m.id));
  const shown: ShownMessage[] = server.map((message) => ({ key: keyOf(message.id), message, pending: null }));
  for (const p of pending) {
    if (p.conversationId !== conversationId) continue;
    if (p.serverId !== null && ids.has(p.serverId)) continue;
    shown.push({ key: p.clientId, message: pendingAsMessage(p), pending: p });
  }
  return shown;
}

/**
 * The key of the first unread message: the `unread` newest messages from the customer are unread, so the
 * separator goes before the oldest of them. `null` when nothing is unread.
 */
export function firstUnreadKey(shown: readonly ShownMessage[], unread: number): string | null {
  if (unread <= 0) return null;
  let left = unread;
  for (let i = shown.length - 1; i >= 0; i -= 1) {
    const item = shown[i]!;
    if (item.message.direction !== "inbound") continue;
    left -= 1;
    if (left === 0) return item.key;
  }
  return shown.find((s) => s.message.direction === "inbound")?.key ?? null;
}
