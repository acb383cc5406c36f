import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { errorMessageOf, partitionLeaseKey, USERS_LEASE_KEY, type LeaseBucket } from '#libs/nats';

/** Work that only the lease's holder may run: a stream partition's consumer, or the users consumers. */
export interface LeasedWork {
  start(): Promise<void>;
  /** Stops applying and waits for what is in flight; after it resolves the work touches nothing. */
  stop(): Promise<void>;
  /**
   * The lease may be another's now (not renewed in time, or taken): from here on the work must write
   * nothing, even what is in flight, since waiting for it could outlast the lease.
   */
  fence(): void;
}

type State = 'starting' | 'running' | 'stopping';

interface Held {
  revision: number;
  /** When the last successful renewal was sent: the lease lasts at least ttl from then. */
  renewedAt: number;
  state: State;
  readonly work: LeasedWork;
  /** The current start or stop. */
  step: Promise<void>;
  /** The work was fenced (it writes nothing more), whatever its state. */
  fenced: boolean;
}

/** How often the fence is checked, apart from renewals (a renewal may hang while NATS stalls). */
const FENCE_CHECK_MS = 100;

/**
 * Shares the stream partitions among the projectors that run side by side, one holder per partition
 * at a time, through leases in a NATS KV bucket (LeaseBucket), plus one `users` lease for the
 * consumers that are not partitioned.
 *
 * - Each holder renews its leases every ttl/4. A new holder starts only after the lease was released
 *   or expired (the KV create succeeds only on an absent key), and a holder that could not renew for
 *   0.6 ttl stops applying (the fence): its lease lasts at least ttl from its last renewal, so the
 *   stop has 0.4 ttl to drain before anyone else may start, and since a handler may wait out a NATS
 *   timeout longer than that, the fenced work refuses every write and publish from then on (fence()). A renewal refused because another took the
 *   lease stops the work at once (it can only happen if the fence failed, and is logged as an error).
 * - Each live projector (a `member.<instance>` heartbeat with the same TTL) takes a fair share,
 *   ceil(k / members): it takes free partitions while it holds fewer, and releases its highest ones
 *   (stop, drain, then delete the key) while it holds more, so a projector that joins gets work within
 *   a tick and one that stops or dies hands its partitions over within the TTL plus a tick.
 * - A clean stop releases everything after draining, so the hand-over takes a tick, not the TTL.
 */
export class LeaseAssigner {
  private readonly held = new Map<string, Held>();
  private loop?: Promise<void>;
  private fenceTimer?: NodeJS.Timeout;
  private leaving = false;
  /** Live projectors at the last successful listing (this one included). */
  private memberCount = 1;
  private closed = false;
  private wake?: () => void;
  /** Partition keys in this instance's own order, so projectors starting together try different ones first. */
  private readonly order: string[];

  constructor(
    private readonly bucket: LeaseBucket,
    private readonly partitions: number,
    private readonly workFor: (key: string) => LeasedWork,
    private readonly logger: Logger,
  ) {
    const rank = (key: string): string =>
      createHash('sha1').update(`${bucket.instance}/${key}`).digest('hex');
    this.order = Array.from({ length: partitions }, (_, p) => partitionLeaseKey(p)).sort((a, b) =>
      rank(a).localeCompare(rank(b)),
    );
  }

  get tickMs(): number {
    return Math.max(100, Math.floor(this.bucket.ttlMs / 4));
  }

  private get fenceMs(): number {
    return Math.floor(this.bucket.ttlMs * 0.6);
  }

  start(): void {
    this.loop = this.run();
    this.fenceTimer = setInterval(() => this.checkFence(), FENCE_CHECK_MS);
    this.fenceTimer.unref();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      await this.tick().catch((err: unknown) =>
        this.logger.warn({ err: errorMessageOf(err) }, 'lease round failed'),
      );
      if (this.leaving && this.held.size === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.tickMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private async tick(): Promise<void> {
    await Promise.all([...this.held.keys()].map((key) => this.renew(key)));
    if (!this.leaving) await this.bucket.heartbeat().catch(() => undefined);
    // Listing the members may time out on a busy connection: the last count serves meanwhile, so free
    // partitions are still taken (a dead projector's work must not wait for a quiet moment).
    const members = this.leaving ? [] : await this.bucket.members().catch(() => undefined);
    if (members !== undefined) this.memberCount = new Set([...members, this.bucket.instance]).size;
    const count = this.memberCount;
    const target = this.leaving ? 0 : Math.ceil(this.partitions / count);
    const mine = this.order.filter((k) => {
      const h = this.held.get(k);
      return h !== undefined && h.state !== 'stopping';
    });
    // Release the surplus, last in this instance's order first.
    for (const key of mine.slice(target)) this.release(key, 'fair share');
    if (this.leaving) {
      if (this.held.has(USERS_LEASE_KEY)) this.release(USERS_LEASE_KEY, 'stopping');
      return;
    }
    let have = Math.min(mine.length, target);
    for (const key of this.order) {
      if (have >= target) break;
      if (this.held.has(key)) continue;
      if (await this.acquire(key)) have++;
    }
    if (!this.held.has(USERS_LEASE_KEY)) await this.acquire(USERS_LEASE_KEY);
  }

  private async renew(key: string): Promise<void> {
    const h = this.held.get(key);
    if (!h) return;
    const sentAt = Date.now();
    try {
      const revision = await this.bucket.renew(key, h.revision);
      if (this.held.get(key) !== h) return;
      if (revision === undefined) {
        this.logger.error({ lease: key }, 'lease taken by another projector while held; stopping at once');
        this.fenceWork(h);
        this.stopWork(key, h, false);
        return;
      }
      h.revision = revision;
      h.renewedAt = sentAt;
    } catch (err) {
      this.logger.warn({ lease: key, err: errorMessageOf(err) }, 'lease renewal failed');
    }
  }

  private async acquire(key: string): Promise<boolean> {
    const sentAt = Date.now();
    const revision = await this.bucket.acquire(key).catch((err: unknown) => {
      this.logger.warn({ lease: key, err: errorMessageOf(err) }, 'lease acquisition failed');
      return undefined;
    });
    if (revision === undefined) return false;
    const work = this.workFor(key);
    const h: Held = {
      revision,
      renewedAt: sentAt,
      state: 'starting',
      work,
      step: Promise.resolve(),
      fenced: false,
    };
    this.held.set(key, h);
    this.logger.info({ lease: key }, 'lease acquired; starting');
    h.step = work.start().then(
      () => {
        if (h.state === 'starting') h.state = 'running';
      },
      (err: unknown) => {
        this.logger.warn(
          { lease: key, err: errorMessageOf(err) },
          'work did not start; giving the lease back',
        );
        this.stopWork(key, h, true);
      },
    );
    return true;
  }

  /** Stops the work, then gives the lease back; renewals go on while it drains. */
  private release(key: string, why: string): void {
    const h = this.held.get(key);
    if (!h || h.state === 'stopping') return;
    this.logger.info({ lease: key, why }, 'releasing lease');
    this.stopWork(key, h, true);
  }

  private stopWork(key: string, h: Held, giveBack: boolean): void {
    if (h.state === 'stopping') return;
    h.state = 'stopping';
    const previous = h.step;
    h.step = previous
      .then(() => h.work.stop())
      .catch((err: unknown) =>
        this.logger.error({ lease: key, err: errorMessageOf(err) }, 'work stop failed'),
      )
      .then(async () => {
        if (this.held.get(key) === h) this.held.delete(key);
        if (giveBack) await this.bucket.release(key, h.revision).catch(() => undefined);
        this.logger.info({ lease: key }, 'lease work stopped');
        this.wake?.();
      });
  }

  /** A holder that could not renew for 0.6 ttl stops applying before its lease can expire. */
  private checkFence(): void {
    const now = Date.now();
    for (const [key, h] of this.held) {
      // A work draining after a release is fenced too: its drain may outlast the lease as well.
      if (!h.fenced && now - h.renewedAt > this.fenceMs) {
        this.logger.warn(
          { lease: key, sinceRenewalMs: now - h.renewedAt, state: h.state },
          'lease not renewed in time; fencing',
        );
        this.fenceWork(h);
        this.stopWork(key, h, true);
      }
    }
  }

  private fenceWork(h: Held): void {
    if (h.fenced) return;
    h.fenced = true;
    h.work.fence();
  }

  /** Drains and releases every lease (a clean stop hands over within a tick), then leaves the members. */
  async stop(): Promise<void> {
    this.leaving = true;
    this.wake?.();
    await this.loop;
    this.closed = true;
    clearInterval(this.fenceTimer);
    await Promise.all([...this.held.values()].map((h) => h.step));
    await this.bucket.leave().catch(() => undefined);
  }
}
