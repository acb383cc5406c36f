import { writeFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { migrate } from '#libs/cassandra';
import { leaseBucketName, partitionLeaseKey, USERS_LEASE_KEY } from '#libs/nats';
import { AppProcess, eventually } from './app-process.js';
import { cleanupTestEnv } from './cleanup.js';
import { createTestEnv, type TestEnv } from './test-env.js';

/** How many of each app, and over how many stream partitions (CHAT_STREAM_PARTITIONS). */
export interface StackShape {
  readonly gateways?: number;
  readonly projectors?: number;
  readonly notifiers?: number;
  readonly partitions?: number;
  /** Devices connect to the gateways in turn (TestDevice.connect without `gateway`), not all to the first. */
  readonly spread?: boolean;
}

/**
 * The shape the delivery e2e tests run in, as production would: several stream partitions shared
 * among projectors by their leases, two of every app, clients spread over both gateways.
 */
export const SCALED_OUT: StackShape = {
  partitions: 4,
  gateways: 2,
  projectors: 2,
  notifiers: 2,
  spread: true,
};

/** Test stacks hand partitions over within 5 s of an owner's death (the default lease is 5 s). */
const TEST_LEASE_TTL_MS = '4000';

/**
 * A whole isolated chat deployment on the shared servers: its own streams, keyspace, keys and bucket,
 * with real gateway, projector and notifier processes, as many of each as asked. Tests start what they
 * need and stop it at the end.
 */
export class ChatStack {
  readonly gateways: AppProcess[] = [];
  readonly projectors: AppProcess[] = [];
  /** Codes the development sender logged, by phone, indexed as the lines arrive (no rescans). */
  private readonly codes = new Map<string, string[]>();
  readonly notifiers: AppProcess[] = [];

  private constructor(readonly env: TestEnv) {}

  static async start(
    opts: StackShape & { overrides?: Record<string, string>; notifierVars?: Record<string, string> } = {},
  ): Promise<ChatStack> {
    const stack = new ChatStack(
      createTestEnv({
        CHAT_STREAM_PARTITIONS: String(opts.partitions ?? 1),
        PROJECTOR_LEASE_TTL_MS: TEST_LEASE_TTL_MS,
        ...opts.overrides,
      }),
    );
    try {
      stack.notifierVars = opts.notifierVars ?? {};
      stack.spread = opts.spread ?? false;
      await migrate(stack.env.cassandra);
      // The first gateway provisions the streams; the others start beside each other.
      await stack.startGateway();
      await Promise.all(Array.from({ length: (opts.gateways ?? 1) - 1 }, () => stack.startGateway()));
      await Promise.all(Array.from({ length: opts.projectors ?? 1 }, () => stack.startProjector()));
      await Promise.all(Array.from({ length: opts.notifiers ?? 0 }, () => stack.startNotifier()));
      await stack.leasesSettled();
    } catch (err) {
      await stack.stop().catch(() => undefined); // no process outlives a stack that failed to start
      throw err;
    }
    return stack;
  }

  /** The first projector still running (tests written for one); setting it replaces the first. */
  get projector(): AppProcess | undefined {
    return this.liveProjectors[0] ?? this.projectors[0];
  }

  set projector(p: AppProcess | undefined) {
    if (p) this.projectors[0] = p;
    else this.projectors.shift();
  }

  /** Every partition's lease and the users lease held, and the partitions spread over the live projectors. */
  async leasesSettled(timeoutMs = 20_000): Promise<Map<string, string>> {
    const live = this.liveProjectors.length;
    const partitions = this.env.nats.CHAT_STREAM_PARTITIONS;
    let holders = new Map<string, string>();
    let last = '';
    await eventually(
      async () => {
        holders = await this.leaseHolders();
        const owners = new Set([...holders].filter(([k]) => k !== USERS_LEASE_KEY).map(([, v]) => v));
        last = JSON.stringify(Object.fromEntries(holders));
        return (
          holders.has(USERS_LEASE_KEY) &&
          Array.from({ length: partitions }, (_, p) => holders.has(partitionLeaseKey(p))).every(Boolean) &&
          owners.size === Math.min(live, partitions)
        );
      },
      timeoutMs,
      'partition leases settled',
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${last} over ${live} projectors`, { cause: err });
    });
    return holders;
  }

  /** Lease key (`p<n>`, `users`) to the instance holding it (`projector-<n>-<random>`). */
  async leaseHolders(): Promise<Map<string, string>> {
    const nc = await connect({ servers: this.env.nats.NATS_URL.split(','), reconnect: false });
    try {
      const kv = await new Kvm(jetstream(nc)).open(
        leaseBucketName({ namespace: this.env.nats.NATS_NAMESPACE }),
      );
      const out = new Map<string, string>();
      for (const key of [
        USERS_LEASE_KEY,
        ...Array.from({ length: this.env.nats.CHAT_STREAM_PARTITIONS }, (_, p) => partitionLeaseKey(p)),
      ]) {
        const e = await kv.get(key);
        if (e?.operation === 'PUT') out.set(key, e.string());
      }
      return out;
    } finally {
      await nc.close();
    }
  }

  /** The projector process holding a lease, by its INSTANCE_ID. */
  async projectorHolding(key: string): Promise<AppProcess> {
    const holder = (await this.leasesSettled()).get(key)!;
    const p = this.liveProjectors.find((x) => holder.startsWith(`${x.instanceId}-`));
    if (!p) throw new Error(`no live projector holds ${key} (${holder})`);
    return p;
  }

  get liveProjectors(): AppProcess[] {
    return this.projectors.filter(alive);
  }

  async startGateway(): Promise<AppProcess> {
    const g = await AppProcess.start('gateway', {
      ...this.env.vars,
      INSTANCE_ID: `gateway-${++this.started.gateway}`,
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

  async startProjector(vars: Record<string, string> = {}): Promise<AppProcess> {
    const p = await AppProcess.start('projector', {
      ...this.env.vars,
      INSTANCE_ID: `projector-${++this.started.projector}`,
      ...vars,
    });
    this.projectors.push(p);
    return p;
  }

  private readonly started = { gateway: 0, projector: 0, notifier: 0 };
  private spread = false;
  private connects = 0;

  /** Which gateway a device connects to first when the test does not say: the first, or each in turn. */
  nextGateway(): number {
    return this.spread ? this.connects++ : 0;
  }

  /** The notifiers' extra variables given to start(), for those started later (a restart). */
  private notifierVars: Record<string, string> = {};

  /** Starts a notifier with extra variables (provider endpoints and credentials, short grace period). */
  async startNotifier(vars: Record<string, string> = this.notifierVars): Promise<AppProcess> {
    const n = await AppProcess.start('notifier', {
      ...this.env.vars,
      INSTANCE_ID: `notifier-${++this.started.notifier}`,
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
    return this.gateways.filter(alive);
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
    // STACK_LOGS=<dir> keeps every app's output for a look after the run.
    const logs = process.env.STACK_LOGS;
    if (logs)
      for (const p of [...this.gateways, ...this.projectors, ...this.notifiers])
        writeFileSync(`${logs}/${this.env.id}-${p.instanceId}-${p.child.pid}.log`, p.output.join(''));
    await Promise.all(
      [...this.gateways, ...this.notifiers, ...this.projectors].map((p) =>
        // A profiled app (APP_NODE_ARGS=--cpu-prof) writes its profile only on a clean exit.
        p.stop(process.env.APP_NODE_ARGS?.includes('--cpu-prof') ? 'SIGTERM' : 'SIGKILL'),
      ),
    );
    await cleanupTestEnv(this.env);
  }
}

const alive = (p: AppProcess): boolean => p.child.exitCode === null && p.child.signalCode === null;

let phoneCounter = 0;
/** A fresh E.164 number per call, unique within a test run. */
export function freshPhone(): string {
  phoneCounter++;
  return `+1555${String(process.pid % 1000).padStart(3, '0')}${String(phoneCounter).padStart(4, '0')}`;
}
