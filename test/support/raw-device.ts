import WebSocket from 'ws';
import type { ServerFrame } from '#libs/protocol';

/**
 * A bare device socket that counts every `message` frame it receives by message id, before any
 * client-side de-duplication: what "exactly once" is checked against, and light enough to hold a
 * thousand of them in one test process. It syncs once on connect and, with `ack`, acknowledges what
 * it receives in batches as the SDK does (each message then becomes a MessageDelivered).
 */
export class RawDevice {
  /** How many frames carried each message id. */
  readonly counts = new Map<string, number>();
  /** When (performance.now()) each message id first arrived. */
  readonly arrivals = new Map<string, number>();
  /** The entry id of each message id, as last received. */
  readonly entryIds = new Map<string, string>();
  /** Every inbox entry frame (message or receipt) in arrival order, by entry id. */
  readonly entryLog: string[] = [];
  /** The result (or error) frames of this device's requests, by request id. */
  private readonly answers = new Map<string, (frame: ServerFrame) => void>();
  private waiters: Array<() => void> = [];
  private ackQueue: string[] = [];
  private ackTimer?: NodeJS.Timeout;
  private requests = 0;
  /** The answer to the sync sent on connect. */
  syncResult?: { cursor: string; count: number; complete: boolean };

  private constructor(
    private readonly ws: WebSocket,
    private readonly ack: boolean,
  ) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as ServerFrame;
      if ((frame.type === 'result' || frame.type === 'error') && frame.id)
        this.answers.get(frame.id)?.(frame);
      if (frame.type === 'receipt' || frame.type === 'message') this.entryLog.push(frame.data.entryId);
      if (frame.type === 'receipt' && this.ack) this.queueAck(frame.data.entryId);
      if (frame.type !== 'message') return;
      this.entryIds.set(frame.data.messageId, frame.data.entryId);
      if (this.ack) this.queueAck(frame.data.entryId);
      const id = frame.data.messageId;
      this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
      if (!this.arrivals.has(id)) this.arrivals.set(id, performance.now());
      const waiting = this.waiters;
      this.waiters = [];
      for (const w of waiting) w();
    });
  }

  private queueAck(entryId: string): void {
    this.ackQueue.push(entryId);
    this.ackTimer ??= setTimeout(() => this.flushAcks(), 20);
  }

  private flushAcks(): void {
    this.ackTimer = undefined;
    const entries = this.ackQueue.splice(0, 500);
    if (this.ackQueue.length > 0) this.ackTimer = setTimeout(() => this.flushAcks(), 20);
    if (entries.length > 0 && this.ws.readyState === WebSocket.OPEN)
      this.ws.send(JSON.stringify({ type: 'ack', id: `ack-${++this.requests}`, data: { entries } }));
  }

  static connect(
    url: string,
    accessToken: string,
    opts: { ack?: boolean; timeoutMs?: number; cursor?: string } = {},
  ): Promise<RawDevice> {
    const timeoutMs = opts.timeoutMs ?? 20_000;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${accessToken}` } });
      const device = new RawDevice(ws, opts.ack ?? false);
      const timer = setTimeout(() => reject(new Error('raw device: no sync result')), timeoutMs);
      const data = opts.cursor !== undefined ? { cursor: opts.cursor } : {};
      ws.once('open', () => ws.send(JSON.stringify({ type: 'sync', id: 'sync-1', data })));
      ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString()) as ServerFrame;
        if (frame.type === 'result' && frame.id === 'sync-1') {
          clearTimeout(timer);
          device.syncResult = frame.data as RawDevice['syncResult'];
          resolve(device);
        }
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Sends a request frame and resolves with its result frame's data (rejects on an error frame). */
  request<T = Record<string, unknown>>(type: string, data: unknown, timeoutMs = 30_000): Promise<T> {
    const id = `r-${++this.requests}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${type}: no answer`)), timeoutMs);
      this.answers.set(id, (frame) => {
        clearTimeout(timer);
        this.answers.delete(id);
        if (frame.type === 'result') resolve(frame.data as T);
        else if (frame.type === 'error') reject(new Error(`${type}: ${frame.error.code}`));
      });
      this.ws.send(JSON.stringify({ type, id, data }));
    });
  }

  has(messageId: string): boolean {
    return this.counts.has(messageId);
  }

  /** Resolves once the message arrived (at once if it already has). */
  waitFor(messageId: string, timeoutMs = 30_000): Promise<void> {
    if (this.has(messageId)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`message ${messageId} did not arrive`)), timeoutMs);
      const check = (): void => {
        if (this.has(messageId)) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  close(): void {
    clearTimeout(this.ackTimer);
    this.ws.close();
  }

  /** Closes the socket and resolves once it is closed. */
  async closed(): Promise<void> {
    clearTimeout(this.ackTimer);
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** Connects many raw devices, `concurrency` at a time. */
export async function connectRawDevices(
  targets: ReadonlyArray<{ url: string; accessToken: string }>,
  opts: { ack?: boolean; concurrency?: number } = {},
): Promise<RawDevice[]> {
  const concurrency = opts.concurrency ?? 64;
  const out = new Array<RawDevice>(targets.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, targets.length) }, async () => {
      for (let i = next++; i < targets.length; i = next++) {
        const t = targets[i]!;
        out[i] = await RawDevice.connect(t.url, t.accessToken, { ack: opts.ack ?? false });
      }
    }),
  );
  return out;
}
