import WebSocket from 'ws';
import type { ErrorBody } from '#libs/protocol';

export interface Answer {
  readonly type: string;
  readonly id: string | null;
  readonly data?: unknown;
  readonly error?: ErrorBody;
}

/**
 * A bare authenticated socket that sends frames as given (no SDK checks, no sync on connect) and
 * matches answers by request id: for tests that send what a client library never would.
 */
export class FrameSocket {
  private next = 0;
  private readonly waiting = new Map<string, (a: Answer) => void>();
  /** How the server closed the socket, once it did. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const a = JSON.parse(raw.toString()) as Answer;
      if (a.id === null) return;
      const w = this.waiting.get(a.id);
      if (w) {
        this.waiting.delete(a.id);
        w(a);
      }
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static open(url: string, accessToken: string): Promise<FrameSocket> {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${accessToken}` } });
    const socket = new FrameSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a request and resolves with its result or error frame. */
  request(type: string, data: unknown = {}, timeoutMs = 20_000): Promise<Answer> {
    const id = `r${++this.next}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${type} ${id}`)), timeoutMs);
      this.waiting.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      this.ws.send(JSON.stringify({ type, id, data }));
    });
  }

  /** Resolves with the close, or rejects if the socket is still open after `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<{ code: number; reason: string }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.ws.close();
  }
}
