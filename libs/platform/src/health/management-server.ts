import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { MetricsService } from '../metrics.service.js';
import type { ReadinessService } from './readiness.service.js';

export interface ManagementServer {
  readonly url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * /healthz, /readyz and /metrics on the management port, a plain HTTP listener of its own: they are for
 * the operator's network (probes, Prometheus), so they are never on the public API port, whatever
 * routes or TLS that port has.
 */
export async function startManagementServer(opts: {
  readonly host: string;
  readonly port: number;
  readonly readiness: ReadinessService;
  readonly metrics: MetricsService;
  readonly logger: Logger;
}): Promise<ManagementServer> {
  const routes = new Map<string, (res: ServerResponse) => Promise<void>>([
    // Liveness: the process is up and its event loop answers.
    ['/healthz', async (res) => send(res, 200, 'application/json', '{"status":"ok"}')],
    // Readiness: every dependency answered; 503 with the per-dependency report otherwise.
    [
      '/readyz',
      async (res) => {
        const report = await opts.readiness.report();
        send(res, report.status === 'ready' ? 200 : 503, 'application/json', JSON.stringify(report));
      },
    ],
    [
      '/metrics',
      async (res) => send(res, 200, opts.metrics.registry.contentType, await opts.metrics.registry.metrics()),
    ],
  ]);
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const route = routes.get((req.url ?? '/').split('?')[0]!);
    if (!route || (req.method !== 'GET' && req.method !== 'HEAD')) {
      send(res, 404, 'application/json', '{"error":{"code":"NOT_FOUND","message":"no such endpoint"}}');
      return;
    }
    route(res).catch((err: unknown) => {
      opts.logger.error({ err, path: req.url }, 'management endpoint failed');
      if (!res.headersSent) send(res, 500, 'application/json', '{"error":{"code":"INTERNAL"}}');
    });
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  // A wildcard bind is reached on loopback from this machine.
  const host =
    address === '0.0.0.0' || address === '::'
      ? '127.0.0.1'
      : address.includes(':')
        ? `[${address}]`
        : address;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
