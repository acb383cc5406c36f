/**
 * Browser stand-in for the `ws` package as the SDK uses it. A browser cannot set headers on a
 * WebSocket handshake, so the bearer token the SDK puts in `Authorization` travels as the
 * `access_token` query parameter, which the gateway accepts for browsers (docs/protocol.md).
 */
type Handler = (...args: never[]) => void;

export default class BrowserWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  private readonly socket: WebSocket;
  private readonly handlers = new Map<string, Array<{ fn: Handler; once: boolean }>>();

  constructor(url: string, options: { headers?: Record<string, string> } = {}) {
    const auth = options.headers?.authorization ?? options.headers?.Authorization;
    const target = new URL(url);
    if (auth?.startsWith('Bearer ')) target.searchParams.set('access_token', auth.slice('Bearer '.length));
    this.socket = new WebSocket(target.toString());
    this.socket.onopen = () => this.fire('open');
    this.socket.onmessage = (e: MessageEvent) => this.fire('message', String(e.data));
    this.socket.onerror = () => this.fire('error', new Error('WebSocket error'));
    this.socket.onclose = (e: CloseEvent) => this.fire('close', e.code, e.reason);
  }

  get readyState(): number {
    return this.socket.readyState;
  }

  on(event: string, fn: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), { fn, once: false }]);
    return this;
  }

  once(event: string, fn: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), { fn, once: true }]);
    return this;
  }

  send(data: string): void {
    this.socket.send(data);
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  private fire(event: string, ...args: unknown[]): void {
    const hs = this.handlers.get(event) ?? [];
    this.handlers.set(
      event,
      hs.filter((h) => !h.once),
    );
    for (const h of hs) (h.fn as (...a: unknown[]) => void)(...args);
  }
}
