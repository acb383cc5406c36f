/**
 * How many heartbeats per second one gateway process and Redis absorb with 10,000 connected devices,
 * and what it costs in CPU. Starts an isolated gateway (own NATS namespace, keyspace, Redis prefix) on
 * the local servers, opens the connections from a few load processes (each far below 20,000 open
 * files), has every device heartbeat at the configured interval, then at higher rates to find the
 * ceiling, and prints a table; the JSON goes to bench/results/.
 *
 *   npm run build && node dist/bench/presence-heartbeats.bench.js [devices=10000] [seconds=15]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { migrate } from '#libs/cassandra';
import { createRedis } from '#libs/redis';
import { AppProcess } from '../test/support/app-process.js';
import { cleanupTestEnv } from '../test/support/cleanup.js';
import { createTestEnv } from '../test/support/test-env.js';
import { procSample } from './support/proc-stats.js';

const HEARTBEAT_MS = 5000;
const LOAD_PROCESSES = 2;
const HEARTBEAT = JSON.stringify({ type: 'presence.heartbeat', id: 'h', data: {} });

interface WorkerStats {
  sent: number;
  answered: number;
  errors: number;
  open: number;
}
type ToWorker =
  | { kind: 'connect'; url: string; tokens: string[] }
  | { kind: 'rate'; perSecond: number }
  | { kind: 'stats' };
type FromWorker = { kind: 'connected'; open: number; failed: number } | ({ kind: 'stats' } & WorkerStats);

// ---------------------------------------------------------------------------------------------- worker
async function worker(): Promise<void> {
  const sockets: WebSocket[] = [];
  const stats: WorkerStats = { sent: 0, answered: 0, errors: 0, open: 0 };
  let timer: NodeJS.Timeout | undefined;
  const send = (m: FromWorker): boolean => process.send!(m);
  process.on('message', (m: ToWorker) => {
    if (m.kind === 'connect') void connectAll(m.url, m.tokens);
    if (m.kind === 'rate') {
      clearInterval(timer);
      // Every 50 ms a slice of the sockets sends, so the whole process sends `perSecond` on average.
      const tick = 50;
      let cursor = 0;
      let carry = 0;
      timer = setInterval(() => {
        carry += (m.perSecond * tick) / 1000;
        const n = Math.floor(carry);
        carry -= n;
        for (let i = 0; i < n && sockets.length > 0; i++) {
          const ws = sockets[cursor++ % sockets.length]!;
          if (ws.readyState !== ws.OPEN) continue;
          ws.send(HEARTBEAT);
          stats.sent++;
        }
      }, tick);
    }
    if (m.kind === 'stats')
      send({ kind: 'stats', ...stats, open: sockets.filter((s) => s.readyState === s.OPEN).length });
  });

  async function connectAll(url: string, tokens: string[]): Promise<void> {
    let failed = 0;
    const open = (token: string): Promise<void> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, {
          headers: { authorization: `Bearer ${token}` },
          perMessageDeflate: false,
        });
        ws.on('message', (d) => {
          const s = d.toString();
          if (s.startsWith('{"type":"result"')) stats.answered++;
          else if (s.startsWith('{"type":"error"')) stats.errors++;
        });
        ws.once('open', () => {
          sockets.push(ws);
          resolve();
        });
        ws.once('error', () => {
          failed++;
          resolve();
        });
      });
    for (let i = 0; i < tokens.length; i += 100) await Promise.all(tokens.slice(i, i + 100).map(open));
    send({ kind: 'connected', open: sockets.length, failed });
  }
}

// ---------------------------------------------------------------------------------------------- driver

async function redisInfo(redis: ReturnType<typeof createRedis>): Promise<{ cpu: number; evals: number }> {
  const info = `${await redis.info('cpu')}\n${await redis.info('commandstats')}`;
  const num = (re: RegExp): number => Number(re.exec(info)?.[1] ?? 0);
  return {
    cpu: num(/used_cpu_sys:([\d.]+)/) + num(/used_cpu_user:([\d.]+)/),
    evals: num(/cmdstat_eval:calls=(\d+)/),
  };
}

async function main(): Promise<void> {
  const devices = Number(process.argv[2] ?? 10_000);
  const seconds = Number(process.argv[3] ?? 15);
  const env = createTestEnv({
    PRESENCE_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
    PRESENCE_ONLINE_THRESHOLD_MS: '15000',
    PRESENCE_FLUSH_INTERVAL_MS: '500',
    RATE_LIMIT_FRAMES_PER_SECOND: '1000',
    RATE_LIMIT_BURST: '1000',
  });
  await migrate(env.cassandra);
  // Info level: AppProcess learns the gateway's URL from its "listening" log line.
  const gateway = await AppProcess.start('gateway', { ...env.vars, INSTANCE_ID: 'bench-gateway' }, 60_000);
  const redis = createRedis(env.redis, 'bench');
  await new Promise((r) => redis.once('ready', r));
  const workers: ChildProcess[] = [];
  try {
    const key = new TextEncoder().encode(env.vars.JWT_SECRET);
    const tokens = await Promise.all(
      Array.from({ length: devices }, (_, i) =>
        new SignJWT({ did: `d${i}` })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(`bench${i}`)
          .setIssuedAt()
          .setExpirationTime('2h')
          .sign(key),
      ),
    );
    const url = `${gateway.url.replace(/^http/, 'ws')}/v1/ws`;
    const self = fileURLToPath(import.meta.url);
    const connectStarted = Date.now();
    const connected = await Promise.all(
      Array.from({ length: LOAD_PROCESSES }, (_, w) => {
        const child = fork(self, ['--worker'], { stdio: 'inherit' });
        workers.push(child);
        const share = tokens.filter((_, i) => i % LOAD_PROCESSES === w);
        return new Promise<{ open: number; failed: number }>((resolve) => {
          child.on('message', (m: FromWorker) => m.kind === 'connected' && resolve(m));
          child.send({ kind: 'connect', url, tokens: share } satisfies ToWorker);
        });
      }),
    );
    const open = connected.reduce((a, c) => a + c.open, 0);
    const connectSeconds = (Date.now() - connectStarted) / 1000;
    console.error(
      `${open} devices connected in ${connectSeconds.toFixed(1)} s (${connected.reduce((a, c) => a + c.failed, 0)} failed)`,
    );

    const stats = (): Promise<WorkerStats> =>
      Promise.all(
        workers.map(
          (w) =>
            new Promise<WorkerStats>((resolve) => {
              const on = (m: FromWorker): void => {
                if (m.kind !== 'stats') return;
                w.off('message', on);
                resolve(m);
              };
              w.on('message', on);
              w.send({ kind: 'stats' } satisfies ToWorker);
            }),
        ),
      ).then((all) =>
        all.reduce(
          (a, s) => ({
            sent: a.sent + s.sent,
            answered: a.answered + s.answered,
            errors: a.errors + s.errors,
            open: a.open + s.open,
          }),
          { sent: 0, answered: 0, errors: 0, open: 0 },
        ),
      );

    // The configured interval first, then higher offered rates until the gateway stops keeping up.
    const offered = [devices / (HEARTBEAT_MS / 1000), 5000, 10_000, 20_000, 40_000];
    const rows: Array<Record<string, number | string>> = [];
    for (const rate of offered) {
      for (const w of workers) w.send({ kind: 'rate', perSecond: rate / LOAD_PROCESSES } satisfies ToWorker);
      await new Promise((r) => setTimeout(r, 2000)); // settle
      const [s0, g0, r0, t0] = [
        await stats(),
        procSample(gateway.child.pid!).cpuSeconds,
        await redisInfo(redis),
        Date.now(),
      ];
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const [s1, g1, r1, t1] = [
        await stats(),
        procSample(gateway.child.pid!).cpuSeconds,
        await redisInfo(redis),
        Date.now(),
      ];
      const wall = (t1 - t0) / 1000;
      const row = {
        offeredPerSecond: Math.round(rate),
        sentPerSecond: Math.round((s1.sent - s0.sent) / wall),
        absorbedPerSecond: Math.round((s1.answered - s0.answered) / wall),
        errorsPerSecond: Math.round((s1.errors - s0.errors) / wall),
        openDevices: s1.open,
        gatewayCpuPercent: Math.round(((g1 - g0) / wall) * 1000) / 10,
        redisCpuPercent: Math.round(((r1.cpu - r0.cpu) / wall) * 1000) / 10,
        redisScriptCallsPerSecond: Math.round((r1.evals - r0.evals) / wall),
      };
      rows.push(row);
      console.error(JSON.stringify(row));
      if (row.absorbedPerSecond < rate * 0.9) break; // past the ceiling (of the gateway or of the load processes)
    }
    for (const w of workers) w.send({ kind: 'rate', perSecond: 0 } satisfies ToWorker);
    console.log(
      `\npresence heartbeats: ${open} devices on one gateway process (${LOAD_PROCESSES} load processes, ${seconds} s per step)`,
    );
    console.table(rows);
    const result = {
      at: new Date().toISOString(),
      devices: open,
      connectSeconds,
      heartbeatIntervalMs: HEARTBEAT_MS,
      flushIntervalMs: 500,
      secondsPerStep: seconds,
      note: 'CPU percent of one core; Redis is shared with other users of the machine, so its CPU includes their load',
      rows,
    };
    mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
    const file = new URL(
      `../../bench/results/presence-heartbeats-${result.at.replace(/[:.]/g, '-')}.json`,
      import.meta.url,
    );
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written to ${fileURLToPath(file)}`);
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await gateway.stop('SIGKILL');
    redis.disconnect();
    await cleanupTestEnv(env);
  }
}

if (process.argv.includes('--worker')) void worker();
else await main();
