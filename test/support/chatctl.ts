import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestEnv } from './test-env.js';
import type { SystemStatus } from '#libs/nats';
import { eventually, onEvents, until } from './wait.js';

const MAIN = fileURLToPath(new URL('../../apps/chatctl/src/main.js', import.meta.url));

export interface ChatctlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function spawnChatctl(env: TestEnv, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH, ...env.vars },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the compiled chatctl against a test env, as an operator would, and collects its output. */
export async function chatctl(
  env: TestEnv,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<ChatctlResult> {
  const child = spawnChatctl(env, args);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => err.push(c));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `chatctl ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${Buffer.concat(err).toString()}`,
        ),
      );
    }, timeoutMs);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** The JSON lines of a chatctl run's stdout. */
export function jsonLines<T = unknown>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** A long-running chatctl (--follow): lines as they arrive, and a way to stop it. */
export class ChatctlFollower {
  readonly lines: unknown[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcess;
  private partial = '';

  constructor(env: TestEnv, args: readonly string[]) {
    this.child = spawnChatctl(env, args);
    this.child.stdout!.on('data', (c: Buffer) => {
      const text = this.partial + c.toString();
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      for (const p of parts) if (p.trim()) this.lines.push(JSON.parse(p));
    });
    this.child.stderr!.on('data', (c: Buffer) => this.stderr.push(c.toString()));
  }

  /** Resolves as soon as `check` holds over the lines printed so far, re-checked at each output chunk. */
  until(check: () => boolean, timeoutMs = 10_000, what = 'chatctl output'): Promise<void> {
    return until(check, onEvents(this.child.stdout!, 'data'), timeoutMs, what);
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const closed = new Promise<number | null>((r) => this.child.on('close', (c) => r(c)));
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const code = await closed;
    clearTimeout(timer);
    return code;
  }
}

/** Waits until `chatctl status` shows every projection with no lag (the conversations one running). */
export async function projectorCaughtUp(env: TestEnv, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      const { projections } = JSON.parse((await chatctl(env, ['status', '--json'])).stdout) as SystemStatus;
      return (
        projections.some((p) => p.projection === 'conversations') &&
        projections.every((p) => p.lagEvents === 0)
      );
    },
    timeoutMs,
    'projector caught up',
  );
}
