import { Kvm, type KV } from '@nats-io/kv';
import {
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { SubjectSpace } from '#libs/events';
import { whilePlacing } from './stream-provisioner.js';

/**
 * The KV bucket that holds the projectors' leases: `p<partition>` (who applies CHAT_<p>), `users` (who
 * applies USERS, PRESENCE and the dead-letter retries) and `member.<instance>` (who is alive, for the
 * fair share). Its name carries the namespace like the streams (`<NS>_PROJECTOR_LEASES`, stream
 * `KV_<NS>_PROJECTOR_LEASES`).
 */
export function leaseBucketName(space: Pick<SubjectSpace, 'namespace'>): string {
  return space.namespace ? `${space.namespace.toUpperCase()}_PROJECTOR_LEASES` : 'PROJECTOR_LEASES';
}

export const partitionLeaseKey = (partition: number): string => `p${partition}`;
export const USERS_LEASE_KEY = 'users';
const memberKey = (instance: string): string => `member.${instance}`;

function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * Leases with a time to live in a NATS KV bucket (nats-server 2.9 has KV; the bucket's max age is the
 * TTL, so an entry nobody renews disappears by itself). Every write is a compare-and-set on the key's
 * revision: `acquire` succeeds only when the key is absent (expired, released or never taken), `renew`
 * only for the holder of the last revision, `release` only for it too. The server's clock alone decides
 * expiry (measured from the last renewal's stored time), so clocks of the holders never matter.
 */
export class LeaseBucket {
  private constructor(
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    /** The bucket's stream, and the subject prefix of its member entries. */
    private readonly stream: string,
    private readonly memberSubjects: string,
    readonly ttlMs: number,
    readonly instance: string,
  ) {}

  static async open(
    nc: NatsConnection,
    space: Pick<SubjectSpace, 'namespace'>,
    opts: { ttlMs: number; replicas: number; instance: string },
  ): Promise<LeaseBucket> {
    // Requests time out well inside the TTL, so a holder learns in time that it cannot renew.
    const timeout = Math.max(250, Math.floor(opts.ttlMs / 4));
    const js = jetstream(nc, { timeout });
    // create() opens the bucket as it is if it exists: the TTL that counts is the bucket's max age, which
    // the first projector set, so renewals and the fence follow that one whatever this process was given.
    // Every request here has that short timeout, which a cluster still electing the bucket's leader can
    // outlast: the whole opening is tried again (an existing bucket is opened as it is).
    const { kv, ttlMs, jsm } = await whilePlacing(async () => {
      const kv = await new Kvm(js).create(leaseBucketName(space), {
        ttl: opts.ttlMs,
        history: 1,
        replicas: opts.replicas,
      });
      const ttlMs = (await kv.status()).ttl || opts.ttlMs;
      return { kv, ttlMs, jsm: await jetstreamManager(nc, { timeout }) };
    });
    const bucket = leaseBucketName(space);
    return new LeaseBucket(kv, jsm, `KV_${bucket}`, `$KV.${bucket}.${memberKey('')}`, ttlMs, opts.instance);
  }

  /** The lease's revision if this instance took it, undefined if another holds it. */
  async acquire(key: string): Promise<number | undefined> {
    try {
      return await this.kv.create(key, this.instance);
    } catch (err) {
      if (isWrongLastSequence(err)) return undefined;
      throw err;
    }
  }

  /** The new revision, or undefined when the lease is no longer this holder's (it expired and was taken). */
  async renew(key: string, revision: number): Promise<number | undefined> {
    try {
      return await this.kv.update(key, this.instance, revision);
    } catch (err) {
      if (isWrongLastSequence(err)) return undefined;
      throw err;
    }
  }

  /** Gives the lease up at once (only if still this holder's), so a standby need not wait for the TTL. */
  async release(key: string, revision: number): Promise<void> {
    try {
      await this.kv.delete(key, { previousSeq: revision });
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
  }

  /** Who holds a lease now, if anyone. */
  async holder(key: string): Promise<string | undefined> {
    const e = await this.kv.get(key);
    return e && e.operation === 'PUT' ? e.string() : undefined;
  }

  /** Says this instance is alive; the entry expires after the TTL unless said again. */
  async heartbeat(): Promise<void> {
    await this.kv.put(memberKey(this.instance), String(Date.now()));
  }

  /**
   * Leaves the members at once (a clean stop), rather than after the TTL: the member's subject is purged,
   * so no delete marker stays behind to be counted by `members`.
   */
  async leave(): Promise<void> {
    await this.jsm.streams.purge(this.stream, { filter: `${this.memberSubjects}${this.instance}` });
  }

  /**
   * The instances alive now (their heartbeat has not expired), this one included once it beat: the member
   * subjects that hold a message, in one request. (KV `keys()` runs a watcher that can wait for ever when
   * an entry expires between its consumer's creation and the delivery: a projector's lease loop hung on it.)
   */
  async members(): Promise<string[]> {
    const info = await this.jsm.streams.info(this.stream, { subjects_filter: `${this.memberSubjects}>` });
    return Object.keys(info.state.subjects ?? {}).map((s) => s.slice(this.memberSubjects.length));
  }
}
