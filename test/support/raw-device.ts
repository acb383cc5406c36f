import WebSocket from 'ws';
import type { ServerFrame } from '#libs/protocol';

/**
 * A bare device socket that counts every `message` frame it receives by message id, before any
 * client-side de-duplication: what "exactly once" is checked against, and light enough to hold a
 * thousand of them in one test process. It syncs once on connect and never acknowledges.
 */
export class RawDevice {
  /** How many frames carried each message id. */
  readonly counts = new Map<string, number>();
  /** When (performance.now()) each message id first arrived. */
  readonly arrivals = new Map<string, number>();
  private waiters: Array<() => void> = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as ServerFrame;
      if (frame.type !== 'message') return;
      const id = frame.data.messageId;
      this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
      if (!this.arrivals.has(id)) this.arrivals.set(id, performance.now());
      const waiting = this.waiters;
      this.waiters = [];
      for (const w of waiting) w();
    });
  }

  static connect(url: string, accessToken: string, timeoutMs = 20_000): Promise<RawDevice> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${accessToken}` } });
      const device = new RawDevice(ws);
      const timer = setTimeout(() => reject(new Error('raw device: no sync result')), timeoutMs);
      ws.once('open', () => ws.send(JSON.stringify({ type: 'sync', id: 'sync-1', data: {} })));
      ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString()) as ServerFrame;
        if (frame.type === 'result' && frame.id === 'sync-1') {
          clearTimeout(timer);
          resolve(device);
        }
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
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
    this.ws.close();
  }
}

/** Connects many raw devices, `concurrency` at a time. */
export async function connectRawDevices(
  targets: ReadonlyArray<{ url: string; accessToken: string }>,
  concurrency = 64,
): Promise<RawDevice[]> {
  const out = new Array<RawDevice>(targets.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, targets.length) }, async () => {
      for (let i = next++; i < targets.length; i = next++) {
        const t = targets[i]!;
        out[i] = await RawDevice.connect(t.url, t.accessToken);
      }
    }),
  );
  return out;
}
