import { describe, expect, it } from "vitest";
import { LiveConnection, ResumePoint, type EventSourceLike, type LiveChange, type LiveStatus } from "./resume";

describe("ResumePoint", () => {
  it("remembers the last event id and resumes after it", () => {
    const point = new ResumePoint();
    expect(point.url("/api/v1/stream")).toBe("/api/v1/stream");
    expect(point.accept("41")).toBe(true);
    expect(point.accept("42")).toBe(true);
    expect(point.url("/api/v1/stream")).toBe("/api/v1/stream?last_event_id=42");
  });

  it("applies an event delivered twice once", () => {
    const point = new ResumePoint();
    expect(point.accept("7")).toBe(true);
    expect(point.accept("7")).toBe(false);
    expect(point.accept("5")).toBe(false);
    expect(point.lastEventId).toBe(7);
  });
});

class FakeSource implements EventSourceLike {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }
  emit(type: string, position: number, conversation = "c1") {
    const change: LiveChange = { position, kind: type, event_type: "message.received", conversation_id: conversation, account_id: "a" };
    const event = new MessageEvent<string>(type, { data: JSON.stringify(change), lastEventId: String(position) });
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
  /** The browser lost the connection and retries by itself. */
  drop() {
    this.readyState = 0;
    this.onerror?.(new Event("error"));
  }
  /** The browser gave up (the server refused the stream). */
  fail() {
    this.readyState = 2;
    this.onerror?.(new Event("error"));
  }
}

function harness() {
  const sources: FakeSource[] = [];
  const statuses: LiveStatus[] = [];
  const changes: number[] = [];
  const opens: boolean[] = [];
  const timers: (() => void)[] = [];
  let closed = 0;
  const connection = new LiveConnection({
    url: "/api/v1/stream",
    open: (url) => {
      const source = new FakeSource(url);
      sources.push(source);
      return source;
    },
    onChange: (change) => changes.push(change.position),
    onStatus: (status) => statuses.push(status),
    onOpen: (resumed) => opens.push(resumed),
    onClosed: () => (closed += 1),
    schedule: (run) => {
      timers.push(run);
      return () => undefined;
    },
  });
  return { connection, sources, statuses, changes, opens, timers, closed: () => closed };
}

describe("LiveConnection", () => {
  it("says it is live once open, and passes on changes", () => {
    const h = harness();
    h.connection.start();
    h.sources[0]?.open();
    h.sources[0]?.emit("message", 10);
    h.sources[0]?.emit("conversation", 11);
    expect(h.statuses).toEqual(["connecting", "live"]);
    expect(h.changes).toEqual([10, 11]);
    expect(h.opens).toEqual([false]);
  });

  it("says reconnecting while the browser reconnects by itself, and skips what it had", () => {
    const h = harness();
    h.connection.start();
    const source = h.sources[0]!;
    source.open();
    source.emit("message", 10);
    source.drop();
    expect(h.statuses.at(-1)).toBe("reconnecting");
    expect(h.sources).toHaveLength(1);
    source.open();
    source.emit("message", 10);
    source.emit("message", 12);
    expect(h.statuses.at(-1)).toBe("live");
    expect(h.changes).toEqual([10, 12]);
    expect(h.opens).toEqual([false, true]);
  });

  it("reopens a stream the browser gave up on from the last event id", () => {
    const h = harness();
    h.connection.start();
    h.sources[0]!.open();
    h.sources[0]!.emit("message", 20);
    h.sources[0]!.fail();
    expect(h.statuses.at(-1)).toBe("reconnecting");
    expect(h.closed()).toBe(1);
    expect(h.timers).toHaveLength(1);
    h.timers[0]!();
    expect(h.sources[1]?.url).toBe("/api/v1/stream?last_event_id=20");
    h.sources[1]!.open();
    h.sources[1]!.emit("message", 21);
    expect(h.changes).toEqual([20, 21]);
    expect(h.statuses.at(-1)).toBe("live");
  });

  it("stops for good when stopped", () => {
    const h = harness();
    h.connection.start();
    h.sources[0]!.open();
    h.connection.stop();
    expect(h.sources[0]!.closed).toBe(true);
    h.sources[0]!.emit("message", 30);
    expect(h.changes).toEqual([]);
  });
});
