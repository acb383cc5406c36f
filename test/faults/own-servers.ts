import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dieWithThisProcess } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';

/** A port nobody listens on now (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * A server binary the test owns: its own port and data directory, never the machine's shared servers,
 * so the test may kill, restart or pause it. `ready` is a line the server prints once it serves.
 */
export class OwnServer {
  private child?: ChildProcess;
  private readonly output: string[] = [];

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly ready: RegExp,
    private readonly dir: string,
  ) {}

  async start(timeoutMs = 15_000): Promise<void> {
    const child = spawn(this.command, [...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    dieWithThisProcess(child);
    this.child = child;
    const mark = this.output.length;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name} not ready in ${timeoutMs} ms:\n${this.output.join('')}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer): void => {
        this.output.push(chunk.toString());
        if (this.ready.test(this.output.slice(mark).join(''))) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited with ${code}:\n${this.output.join('')}`));
      });
    });
  }

  /** kill -9 (or another signal), waiting for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  /** Freezes the process (SIGSTOP): connections stay open and nothing answers. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.resume();
    await this.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A JetStream nats-server on its own port and store; with `cluster`, one node of a loopback cluster. */
export async function natsServer(
  opts: { name?: string; port?: number; cluster?: { port: number; routes: readonly number[] } } = {},
): Promise<OwnServer & { url: string; serverName: string }> {
  const port = opts.port ?? (await freePort());
  const name = opts.name ?? `fault-nats-${port}`;
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, '-n', name];
  if (opts.cluster) {
    args.push(
      '--cluster_name',
      'faults',
      '--cluster',
      `nats://127.0.0.1:${opts.cluster.port}`,
      '--routes',
      opts.cluster.routes.map((p) => `nats://127.0.0.1:${p}`).join(','),
    );
  }
  const server = new OwnServer(name, 'nats-server', args, /Server is ready/, dir);
  return Object.assign(server, { url: `nats://127.0.0.1:${port}`, serverName: name });
}

/** A redis-server on its own port, without persistence (a restart loses every key, as a crash would). */
export async function redisServer(): Promise<OwnServer & { url: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `fault-redis-${port}-`));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ];
  const server = new OwnServer(`redis-${port}`, 'redis-server', args, /Ready to accept connections/, dir);
  return Object.assign(server, { url: `redis://127.0.0.1:${port}` });
}

/** The stack of the store and NATS fault cases: two of each app over two partitions. */
const FAULT_SHAPE = { gateways: 2, projectors: 2, partitions: 2 } as const;

/**
 * Runs `run` on a fault-case stack whose apps reach the servers through `overrides`, then stops the
 * stack and what the case owns (its servers, a proxy), whatever happened.
 */
export async function withFaultStack<T>(
  overrides: Record<string, string>,
  owned: readonly { stop(): Promise<void> }[],
  run: (stack: ChatStack) => Promise<T>,
): Promise<T> {
  let stack: ChatStack | undefined;
  try {
    stack = await ChatStack.start({ ...FAULT_SHAPE, overrides });
    return await run(stack);
  } finally {
    await stack?.stop().catch(() => undefined);
    await Promise.all(owned.map((s) => s.stop()));
  }
}
