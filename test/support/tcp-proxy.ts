import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

/**
 * A TCP proxy in front of one server, for a fault that only the test's own processes see: `cut()`
 * drops every connection and refuses new ones (a server that is down), `restore()` forwards again.
 * The shared servers themselves are never touched.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private down = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const handler: { accept?: (client: Socket) => void } = {};
    const server = createServer((client) => handler.accept?.(client));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('proxy: no port');
    const proxy = new TcpProxy(server, address.port);
    handler.accept = (client) => proxy.accept(client, targetHost, targetPort);
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private accept(client: Socket, host: string, port: number): void {
    if (this.down) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** The server is gone: open connections reset, new ones refused, until restore(). */
  cut(): void {
    this.down = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    this.server.close();
    await once(this.server, 'close').catch(() => undefined);
  }
}
