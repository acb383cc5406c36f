import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

const DIST = fileURLToPath(new URL('../../', import.meta.url));

export type AppName = 'gateway' | 'projector' | 'notifier';

/**
 * Every child this test process started and that still runs: killed when the test process ends another
 * way than through stop() (a file's timeout sends SIGTERM), so no app or server outlives its test and
 * loads the rest of the run.
 */
const running = new Set<ChildProcess>();

/** Kills `child` with this process if it still runs then (an app, or a server a fault test owns). */
export function dieWithThisProcess(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}
const killAll = (): void => {
  for (const child of running) child.kill('SIGKILL');
};
process.once('exit', killAll);
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    killAll();
    process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
  });

/** One of the apps, running as its own real process on free ports, as the stack runs it. */
export class AppProcess {
  private constructor(
    readonly name: AppName,
    readonly child: ChildProcess,
    private readonly publicUrl: string | undefined,
    /** /healthz, /readyz and /metrics: the management port, never the public one. */
    readonly managementUrl: string,
    readonly output: string[],
    private readonly vars: Record<string, string>,
  ) {}

  /** The INSTANCE_ID it runs with. */
  get instanceId(): string {
    return this.vars.INSTANCE_ID ?? `${this.name}-test`;
  }

  /** The public API (http or https): only the gateway has one. */
  get url(): string {
    if (!this.publicUrl) throw new Error(`${this.name} serves no public API port`);
    return this.publicUrl;
  }

  static async start(name: AppName, vars: Record<string, string>, timeoutMs = 30_000): Promise<AppProcess> {
    // APP_NODE_ARGS passes node flags to the apps, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a bench.
    const nodeArgs = process.env.APP_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, `${DIST}apps/${name}/src/main.js`], {
      env: {
        PATH: process.env.PATH,
        HTTP_PORT: '0',
        MANAGEMENT_PORT: '0',
        LOG_LEVEL: 'info',
        INSTANCE_ID: `${name}-test`,
        ...vars,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dieWithThisProcess(child);
    const output: string[] = [];
    // The management port opens last, after the public one (if any).
    const urls = await new Promise<{ url?: string; managementUrl: string }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not listen within ${timeoutMs} ms:\n${output.join('')}`)),
        timeoutMs,
      );
      child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      // Only until the app listens: joining everything on every chunk would cost a busy app's parent
      // (a benchmark's load process) time quadratic in the log it wrote.
      const onData = (): void => {
        const text = output.join('');
        const management = /"managementUrl":"(http:\/\/[^"]+)"/.exec(text);
        if (management?.[1]) {
          child.stdout!.off('data', onData);
          clearTimeout(timer);
          resolve({ url: /"url":"(https?:\/\/[^"]+)"/.exec(text)?.[1], managementUrl: management[1] });
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} during start:\n${output.join('')}`));
      });
    });
    return new AppProcess(name, child, urls.url, urls.managementUrl, output, vars);
  }

  /** GET on the management port (/healthz, /readyz, /metrics). */
  async get(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`${this.managementUrl}${path}`);
    return { status: res.status, body: await res.text() };
  }

  /** Sends a signal and waits for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    // A child killed by a signal has signalCode set and exitCode null: it will emit no further exit.
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  }
}

/** Kept here too for the many specs that import it from this module; it lives in ./wait.js. */
export { eventually } from './wait.js';
