/**
 * The bookkeeping of the live stream: the last event id seen, so a reopened stream resumes right after
 * it and an event delivered twice (a resume racing a late delivery) is applied once.
 */
export class ResumePoint {
  private last: number | null = null;

  get lastEventId(): number | null {
    return this.last;
  }

  /** Whether an event with this SSE id is new; remembers it if so. Ids that are not positions pass. */
  accept(id: string): boolean {
    const position = Number(id);
    if (!Number.isSafeInteger(position) || id.trim() === "") return true;
    if (this.last !== null && position <= this.last) return false;
    this.last = position;
    return true;
  }

  /** The stream's URL, resuming after the last event seen (`last_event_id`: the query-string form of
   * `Last-Event-ID`, for a stream this code reopens itself). */
  url(base: string): string {
    if (this.last === null) return base;
    const separator = base.includes("?") ? "&" : "?";
    return `${base}${separator}last_event_id=${this.last}`;
  }
}

export type LiveStatus = "connecting" | "live" | "reconnecting";

export interface LiveChange {
  position: number;
  kind: string;
  event_type: string;
  conversation_id: string;
  account_id: string;
  message_id?: string | null;
}

/** What `LiveConnection` needs of an EventSource (a fake in tests). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

export interface LiveOptions {
  url: string;
  open: (url: string) => EventSourceLike;
  onChange: (change: LiveChange) => void;
  onStatus: (status: LiveStatus) => void;
  /** After every (re)opening: a first opening without a resume point may have missed changes. */
  onOpen: (resumed: boolean) => void;
  /** The browser gave up on the stream (a refusal such as 401): check the session. */
  onClosed: () => void;
  schedule?: (run: () => void, ms: number) => () => void;
}

const CLOSED = 2;

/**
 * One EventSource on the live stream. While the browser reconnects by itself (sending Last-Event-ID) it
 * reports "reconnecting"; when the browser gives up, it reopens the stream itself after a growing pause,
 * resuming from the last event id with `last_event_id`.
 */
export class LiveConnection {
  readonly resume = new ResumePoint();
  private source: EventSourceLike | null = null;
  private cancelRetry: (() => void) | null = null;
  private failures = 0;
  private stopped = false;
  private readonly schedule: (run: () => void, ms: number) => () => void;

  constructor(private readonly options: LiveOptions) {
    this.schedule =
      options.schedule ??
      ((run, ms) => {
        const timer = setTimeout(run, ms);
        return () => clearTimeout(timer);
      });
  }

  start(): void {
    this.stopped = false;
    this.options.onStatus("connecting");
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.cancelRetry?.();
    this.cancelRetry = null;
    this.source?.close();
    this.source = null;
  }

  private connect(): void {
    const resumed = this.resume.lastEventId !== null;
    const source = this.options.open(this.resume.url(this.options.url));
    this.source = source;
    source.onopen = () => {
      this.failures = 0;
      this.options.onStatus("live");
      this.options.onOpen(resumed || this.resume.lastEventId !== null);
    };
    source.onerror = () => {
      if (this.stopped || this.source !== source) return;
      this.options.onStatus("reconnecting");
      if (source.readyState === CLOSED) {
        source.close();
        this.source = null;
        this.failures += 1;
        this.options.onClosed();
        const pause = Math.min(30_000, 500 * 2 ** Math.min(this.failures, 6));
        this.cancelRetry = this.schedule(() => {
          this.cancelRetry = null;
          if (!this.stopped) this.connect();
        }, pause);
      }
    };
    const deliver = (event: MessageEvent<string>) => {
      if (this.source !== source || !this.resume.accept(event.lastEventId)) return;
      try {
        this.options.onChange(JSON.parse(event.data) as LiveChange);
      } catch {
        // Not a change this app knows; the next one still counts.
      }
    };
    source.addEventListener("message", deliver);
    source.addEventListener("conversation", deliver);
  }
}
