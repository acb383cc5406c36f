import type { Logger } from 'pino';
import type { ServerFrame } from '#libs/protocol';
import { entryId, type Cursor, type InboxEntry, type InboxStore } from '#libs/read-models';
import type { DeviceConnection } from './device-connection.js';
import { describeFrame } from './live-sessions.js';

const PAGE = 500;
const RETRY_MS = 1000;

function toFrame(e: InboxEntry): ServerFrame {
  const id = entryId(e);
  const data = JSON.parse(e.payload) as Record<string, unknown>;
  // The kind names the frame type (message, receipt, update): the row was written from that frame.
  return { type: e.kind, data: { ...data, entryId: id } } as ServerFrame;
}

export interface BacklogSettings {
  readonly partitions: number;
  /** Entries pushed and not yet acknowledged, at most. */
  readonly window: number;
}

/**
 * One sync of one connection: pushes the device's pending inbox entries from its floor, partition by
 * partition in log order, at most `window` of them unacknowledged at a time, the next ones as the device
 * acknowledges. Live entries are held back by the connection until the whole backlog is out, then
 * released minus those the backlog already sent, so nothing falls between the two and a conversation's
 * entries keep their order.
 */
export class InboxBacklog {
  /** Pushed by this backlog and not acknowledged yet. */
  private readonly outstanding = new Set<string>();
  private readonly sent = new Set<string>();
  private readonly after: Map<number, number>;
  private partition = 0;
  private done = false;
  private stopped = false;
  private filling?: Promise<void>;
  private retry?: NodeJS.Timeout;
  private ahead?: { partition: number; after: number; page: Promise<InboxEntry[]> };

  constructor(
    private readonly conn: DeviceConnection,
    private readonly inbox: InboxStore,
    floor: Cursor,
    private readonly settings: BacklogSettings,
    private readonly logger: Logger,
  ) {
    this.after = new Map(floor);
  }

  get complete(): boolean {
    return this.done;
  }

  get count(): number {
    return this.sent.size;
  }

  /** Pushes the first window (or the whole backlog if it fits). */
  async start(): Promise<void> {
    this.conn.beginSync();
    this.filling = this.fill();
    try {
      await this.filling;
    } catch (err) {
      this.stop();
      throw err;
    } finally {
      this.filling = undefined;
    }
    this.refillIfRoom(); // acknowledgements that came while the first window went out
  }

  /** The device acknowledged these entries: room in the window for the next ones. */
  acked(ids: readonly string[]): void {
    for (const id of ids) this.outstanding.delete(id);
    this.refillIfRoom();
  }

  /** Stops pushing: the socket closed, or the first window failed (the client syncs again). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }

  /** Refills in batches, once at most half the window is left unacknowledged, not entry by entry. */
  private refillIfRoom(): void {
    if (this.done || this.stopped || this.filling || this.retry) return;
    if (this.outstanding.size > this.settings.window / 2) return;
    this.filling = this.fill()
      .catch((err: unknown) => {
        // A dependency that is down: try again later (the device may have nothing more to acknowledge).
        this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'sync backlog: retrying');
        this.retry = setTimeout(() => {
          this.retry = undefined;
          this.refillIfRoom();
        }, RETRY_MS);
        this.retry.unref();
      })
      .finally(() => {
        this.filling = undefined;
        this.refillIfRoom(); // acknowledgements that came while this window went out
      });
  }

  private async fill(): Promise<void> {
    const { conn } = this;
    while (!this.done && !this.stopped) {
      if (conn.socket.readyState !== conn.socket.OPEN) return this.stop();
      // Before the window check: a backlog whose last page filled the window exactly is complete.
      if (this.partition >= this.settings.partitions) {
        this.done = true;
        conn.endSync(this.sent, describeFrame);
        return;
      }
      if (this.outstanding.size >= this.settings.window) return;
      const p = this.partition;
      const want = Math.min(PAGE, this.settings.window - this.outstanding.size);
      const read = await this.read(p, this.after.get(p) ?? 0);
      if (this.stopped) return;
      const page = read.slice(0, want);
      for (const e of page) {
        const frame = toFrame(e);
        const id = entryId(e);
        this.sent.add(id);
        this.outstanding.add(id);
        conn.deliver(id, frame, { ...describeFrame(frame), stored: true });
      }
      if (page.length > 0) this.after.set(p, page[page.length - 1]!.seq);
      if (read.length < PAGE && page.length === read.length) this.partition++;
      this.readAhead();
    }
  }

  /** A page of partition `p` after `after`: the one read ahead if it is that one, else read now. */
  private read(p: number, after: number): Promise<InboxEntry[]> {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead && ahead.partition === p && ahead.after === after) return ahead.page;
    return this.inbox.pending(this.conn.userId, this.conn.deviceId, p, after, PAGE);
  }

  /**
   * Starts reading the next page while the device acknowledges this one, so a refill finds it read:
   * the device's acknowledgement round trip and the read overlap instead of following each other.
   */
  private readAhead(): void {
    if (this.done || this.stopped || this.partition >= this.settings.partitions) return;
    const p = this.partition;
    const after = this.after.get(p) ?? 0;
    const page = this.inbox.pending(this.conn.userId, this.conn.deviceId, p, after, PAGE);
    page.catch(() => undefined); // a failed read ahead is read again when it is needed
    this.ahead = { partition: p, after, page };
  }
}
