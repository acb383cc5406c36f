import { migrate } from '#libs/cassandra';
import { AppProcess } from './app-process.js';
import { cleanupTestEnv } from './cleanup.js';
import { createTestEnv, type TestEnv } from './test-env.js';

/**
 * A whole isolated chat deployment on the shared servers: its own streams, keyspace, keys and bucket,
 * with real gateway and projector processes. Tests start what they need and stop it at the end.
 */
export class ChatStack {
  readonly gateways: AppProcess[] = [];
  projector?: AppProcess;
  /** Codes the development sender logged, by phone, indexed as the lines arrive (no rescans). */
  private readonly codes = new Map<string, string[]>();
  readonly notifiers: AppProcess[] = [];

  private constructor(readonly env: TestEnv) {}

  static async start(
    opts: { gateways?: number; overrides?: Record<string, string> } = {},
  ): Promise<ChatStack> {
    const stack = new ChatStack(createTestEnv(opts.overrides));
    await migrate(stack.env.cassandra);
    for (let i = 0; i < (opts.gateways ?? 1); i++) await stack.startGateway();
    await stack.startProjector();
    return stack;
  }

  async startGateway(): Promise<AppProcess> {
    const g = await AppProcess.start('gateway', {
      ...this.env.vars,
      INSTANCE_ID: `gateway-${this.gateways.length + 1}`,
    });
    this.gateways.push(g);
    this.indexCodes(g);
    return g;
  }

  private indexCodes(g: AppProcess): void {
    const scan = (text: string): void => {
      for (const line of text.split('\n')) {
        if (!line.includes('"code"') || !line.includes('"phone"')) continue;
        try {
          const { phone, code } = JSON.parse(line) as { phone?: string; code?: string };
          if (phone && code) this.codes.set(phone, [...(this.codes.get(phone) ?? []), code]);
        } catch {
          // not a JSON log line
        }
      }
    };
    let rest = g.output.join('');
    const lastNewline = rest.lastIndexOf('\n');
    scan(rest.slice(0, lastNewline + 1));
    rest = rest.slice(lastNewline + 1);
    g.child.stdout!.on('data', (chunk: Buffer) => {
      const text = rest + chunk.toString();
      const end = text.lastIndexOf('\n');
      scan(text.slice(0, end + 1));
      rest = text.slice(end + 1);
    });
  }

  async startProjector(): Promise<AppProcess> {
    this.projector = await AppProcess.start('projector', this.env.vars);
    return this.projector;
  }

  /** Starts a notifier with extra variables (provider endpoints and credentials, short grace period). */
  async startNotifier(vars: Record<string, string> = {}): Promise<AppProcess> {
    const n = await AppProcess.start('notifier', {
      ...this.env.vars,
      INSTANCE_ID: `notifier-${this.notifiers.length + 1}`,
      ...vars,
    });
    this.notifiers.push(n);
    return n;
  }

  wsUrl(g: AppProcess): string {
    return `${g.url.replace(/^http/, 'ws')}/v1/ws`;
  }

  /** The gateways still running (a test may have killed some). */
  get liveGateways(): AppProcess[] {
    return this.gateways.filter((g) => g.child.exitCode === null && g.child.signalCode === null);
  }

  get wsUrls(): string[] {
    return this.liveGateways.map((g) => this.wsUrl(g));
  }

  /**
   * Runs `request` (which asks for a code) and returns the new code the development sender logged for
   * this phone: the only way to learn it, as for a person reading an SMS.
   */
  async newCode(phone: string, request: () => Promise<unknown>, timeoutMs = 5000): Promise<string> {
    const before = this.codes.get(phone)?.length ?? 0;
    await request();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const codes = this.codes.get(phone) ?? [];
      if (codes.length > before) return codes.at(-1)!;
      if (Date.now() > deadline) throw new Error(`no verification code logged for ${phone}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Every SDK client a test opened on this stack, closed by stop() even when the test failed midway. */
  readonly clients = new Set<{ close(): Promise<void> }>();

  async stop(): Promise<void> {
    await Promise.all([...this.clients].map((c) => c.close().catch(() => undefined)));
    await Promise.all(
      [...this.gateways, ...this.notifiers, ...(this.projector ? [this.projector] : [])].map((p) =>
        // A profiled app (APP_NODE_ARGS=--cpu-prof) writes its profile only on a clean exit.
        p.stop(process.env.APP_NODE_ARGS?.includes('--cpu-prof') ? 'SIGTERM' : 'SIGKILL'),
      ),
    );
    await cleanupTestEnv(this.env);
  }
}

let phoneCounter = 0;
/** A fresh E.164 number per call, unique within a test run. */
export function freshPhone(): string {
  phoneCounter++;
  return `+1555${String(process.pid % 1000).padStart(3, '0')}${String(phoneCounter).padStart(4, '0')}`;
}
