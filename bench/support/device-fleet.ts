import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetStats, FromWorker, ToWorker } from './fleet-messages.js';

const WORKER = fileURLToPath(new URL('./fleet-worker.js', import.meta.url));

type Reply<K extends FromWorker['kind']> = Extract<FromWorker, { kind: K }>;

/**
 * Device connections spread over several load processes (each below its open-files limit), each
 * process binding its own loopback source address (127.0.0.2, 127.0.0.3, ...) so no source address
 * runs out of ephemeral ports.
 */
export class DeviceFleet {
  private constructor(private readonly workers: ChildProcess[]) {}

  static start(processes: number): DeviceFleet {
    return new DeviceFleet(
      Array.from({ length: processes }, () =>
        fork(WORKER, [], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          execArgv: ['--enable-source-maps'],
        }),
      ),
    );
  }

  /** The source address of load process `w`. */
  static sourceAddress(w: number): string {
    return `127.0.0.${2 + w}`;
  }

  get processes(): number {
    return this.workers.length;
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid!);
  }

  private ask<K extends FromWorker['kind']>(w: ChildProcess, m: ToWorker, kind: K): Promise<Reply<K>> {
    return new Promise((resolve, reject) => {
      const onMessage = (r: FromWorker): void => {
        if (r.kind !== kind) return;
        cleanup();
        resolve(r as Reply<K>);
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`load process ${w.pid} exited with ${code}`));
      };
      const cleanup = (): void => {
        w.off('message', onMessage);
        w.off('exit', onExit);
      };
      w.on('message', onMessage);
      w.once('exit', onExit);
      w.send(m);
    });
  }

  /**
   * Connects one SDK client per token (token i on process i % processes, to gateway i % urls) and resolves once every
   * process has all of its share synced or given up; returns the totals open now and failed in this call.
   */
  async connect(
    urls: readonly string[],
    tokens: readonly string[],
    o: { sdkHeartbeats: boolean; concurrencyPerProcess?: number },
  ): Promise<{ open: number; failed: number; firstError?: string }> {
    const replies = await Promise.all(
      this.workers.map((w, i) =>
        this.ask(
          w,
          {
            kind: 'connect',
            urls,
            devices: tokens
              .map((token, t) => ({ token, gateway: t % urls.length }))
              .filter((_, t) => t % this.workers.length === i),
            localAddresses: [DeviceFleet.sourceAddress(i)],
            sdkHeartbeats: o.sdkHeartbeats,
            concurrency: o.concurrencyPerProcess ?? 100,
          },
          'connected',
        ),
      ),
    );
    return {
      open: replies.reduce((a, r) => a + r.open, 0),
      failed: replies.reduce((a, r) => a + r.failed, 0),
      ...(replies.find((r) => r.firstError) && { firstError: replies.find((r) => r.firstError)!.firstError }),
    };
  }

  /** Heartbeats per second offered by the whole fleet, shared evenly (0 stops them). */
  setHeartbeatRate(perSecond: number): void {
    for (const w of this.workers)
      w.send({ kind: 'rate', perSecond: perSecond / this.workers.length } satisfies ToWorker);
  }

  async stats(): Promise<FleetStats> {
    const all = await Promise.all(this.workers.map((w) => this.ask(w, { kind: 'stats' }, 'stats')));
    return all.reduce(
      (a, s) => ({
        open: a.open + s.open,
        drops: a.drops + s.drops,
        sent: a.sent + s.sent,
        answered: a.answered + s.answered,
        errors: a.errors + s.errors,
        cpuSeconds: a.cpuSeconds + s.cpuSeconds,
      }),
      { open: 0, drops: 0, sent: 0, answered: 0, errors: 0, cpuSeconds: 0 },
    );
  }

  /** Closes every connection cleanly, then the processes; kills a process that does not finish in time. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.exitCode !== null || w.signalCode !== null) return;
        const timer = setTimeout(() => w.kill('SIGKILL'), 30_000);
        await this.ask(w, { kind: 'close' }, 'closed').catch(() => undefined);
        clearTimeout(timer);
      }),
    );
  }
}
