import { ChatClient } from '#libs/client-sdk';
import type { FleetStats, FromWorker, ToWorker } from './fleet-messages.js';

/**
 * A load process: holds its share of the device connections as SDK clients over real WebSockets, so
 * no single process needs more open files than its limit. Driven by bench/support/device-fleet.ts.
 */
const clients: ChatClient[] = [];
let open = 0;
let drops = 0;
let sent = 0;
let answered = 0;
let errors = 0;
let rateTimer: NodeJS.Timeout | undefined;

/** A device that is not synced by then counts as failed (the gateway may be out of file descriptors). */
const CONNECT_TIMEOUT_MS = 30_000;

const reply = (m: FromWorker): void => void process.send!(m);

async function connectAll(m: Extract<ToWorker, { kind: 'connect' }>): Promise<void> {
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const connectOne = async (i: number): Promise<void> => {
    const { token, gateway } = m.devices[i]!;
    const client = new ChatClient({
      urls: [...m.urls.slice(gateway), ...m.urls.slice(0, gateway)],
      getAccessToken: () => token,
      localAddress: m.localAddresses[i % m.localAddresses.length],
      heartbeat: m.sdkHeartbeats,
      // An idle fleet must stay up by itself: a drop is counted, not hidden by a fast reconnect loop.
      reconnect: { initialDelayMs: 1000, maxDelayMs: 5000 },
      requestTimeoutMs: 60_000,
    });
    client.on('error', () => undefined);
    // Counted per client: a close before the first sync (refused, reset) is a failure, not a drop.
    let up = false;
    client.on('connected', () => {
      up = true;
      open++;
    });
    client.on('disconnected', () => {
      if (!up) return;
      up = false;
      open--;
      drops++;
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`not connected within ${CONNECT_TIMEOUT_MS} ms`)),
            CONNECT_TIMEOUT_MS,
          );
        }),
      ]);
      clients.push(client);
    } catch (err) {
      failed++;
      firstError ??= err instanceof Error ? err.message : String(err);
      client.removeAllListeners('disconnected');
      if (up) open--;
      await client.close();
    } finally {
      clearTimeout(timer);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(m.concurrency, m.devices.length) }, async () => {
      for (let i = next++; i < m.devices.length; i = next++) await connectOne(i);
    }),
  );
  reply({ kind: 'connected', open, failed, ...(firstError !== undefined && { firstError }) });
}

/**
 * Every 50 ms a slice of the clients sends heartbeats, as many as are due since the rate was set: on a
 * loaded machine a late timer sends more at once instead of silently offering less than asked.
 */
function setRate(perSecond: number): void {
  clearInterval(rateTimer);
  if (perSecond <= 0 || clients.length === 0) return;
  const TICK_MS = 50;
  const startedAt = performance.now();
  let issued = 0;
  let cursor = 0;
  rateTimer = setInterval(() => {
    const due = Math.floor(((performance.now() - startedAt) / 1000) * perSecond);
    for (; issued < due; issued++) {
      const client = clients[cursor++ % clients.length]!;
      sent++;
      client.heartbeat().then(
        () => answered++,
        () => errors++,
      );
    }
  }, TICK_MS);
}

function stats(): FleetStats {
  const usage = process.cpuUsage();
  return { open, drops, sent, answered, errors, cpuSeconds: (usage.user + usage.system) / 1e6 };
}

process.on('message', (m: ToWorker) => {
  switch (m.kind) {
    case 'connect':
      void connectAll(m);
      return;
    case 'rate':
      setRate(m.perSecond);
      return;
    case 'stats':
      reply({ kind: 'stats', ...stats() });
      return;
    case 'close':
      clearInterval(rateTimer);
      // Counted drops stop here: these closes are ours.
      for (const c of clients) c.removeAllListeners('disconnected');
      void Promise.all(clients.map((c) => c.close().catch(() => undefined))).then(() => {
        reply({ kind: 'closed' });
        process.exit(0);
      });
      return;
    default: {
      const _exhaustive: never = m;
      return _exhaustive;
    }
  }
});
