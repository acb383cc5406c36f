import type { CqlClient } from '#libs/cassandra';

/** Expiries are indexed by the hour they fall in (epoch seconds / 3600). */
export const EXPIRY_BUCKET_SECONDS = 3600;

export const expiryBucketOf = (at: Date): number => Math.floor(at.getTime() / 1000 / EXPIRY_BUCKET_SECONDS);

/** A disappearing message waiting for its expiry (or, once expired, for its content key's end). */
export interface ScheduledExpiry {
  readonly bucket: number;
  readonly expiresAt: Date;
  readonly conversationId: string;
  readonly messageId: string;
  readonly contentKey?: string;
  /** Set once its MessageExpired is in the log. */
  readonly expiredAt?: Date;
}

const SWEEP = 'disappearing';

/**
 * The expiry index of disappearing messages (migration 018): written when the delivering projection
 * applies a MessageSent that carries expiresAt, read and cleared by the projector's expiry sweeper.
 * It survives restarts, so expiry is enforced whether or not any client (or the same process) is up.
 */
export class MessageExpiryStore {
  constructor(private readonly cql: CqlClient) {}

  async schedule(e: Omit<ScheduledExpiry, 'bucket' | 'expiredAt'>): Promise<void> {
    await this.cql.execute(
      'INSERT INTO message_expiries (bucket, expires_at, conversation_id, message_id, content_key) VALUES (?, ?, ?, ?, ?)',
      [expiryBucketOf(e.expiresAt), e.expiresAt, e.conversationId, e.messageId, e.contentKey ?? null],
      { prepare: true },
    );
  }

  /** Rows of a bucket due by `now` (expired or not), oldest first. */
  async dueIn(bucket: number, now: Date, limit: number): Promise<ScheduledExpiry[]> {
    const rs = await this.cql.execute(
      'SELECT * FROM message_expiries WHERE bucket = ? AND expires_at <= ? LIMIT ?',
      [bucket, now, limit],
      { prepare: true },
    );
    return rs.rows.map((r) => {
      const key = r.get('content_key') as string | null;
      const expiredAt = r.get('expired_at') as Date | null;
      return {
        bucket,
        expiresAt: r.get('expires_at') as Date,
        conversationId: String(r.get('conversation_id')),
        messageId: String(r.get('message_id')),
        ...(key ? { contentKey: key } : {}),
        ...(expiredAt ? { expiredAt } : {}),
      };
    });
  }

  async isEmpty(bucket: number): Promise<boolean> {
    const rs = await this.cql.execute(
      'SELECT bucket FROM message_expiries WHERE bucket = ? LIMIT 1',
      [bucket],
      {
        prepare: true,
      },
    );
    return rs.rowLength === 0;
  }

  async markExpired(e: ScheduledExpiry, at: Date): Promise<void> {
    await this.cql.execute(
      'UPDATE message_expiries SET expired_at = ? WHERE bucket = ? AND expires_at = ? AND conversation_id = ? AND message_id = ?',
      [at, e.bucket, e.expiresAt, e.conversationId, e.messageId],
      { prepare: true },
    );
  }

  async forget(e: ScheduledExpiry): Promise<void> {
    await this.cql.execute(
      'DELETE FROM message_expiries WHERE bucket = ? AND expires_at = ? AND conversation_id = ? AND message_id = ?',
      [e.bucket, e.expiresAt, e.conversationId, e.messageId],
      { prepare: true },
    );
  }

  async nextBucket(): Promise<number | undefined> {
    const rs = await this.cql.execute(
      'SELECT next_bucket FROM message_expiry_sweeps WHERE name = ?',
      [SWEEP],
      {
        prepare: true,
      },
    );
    const v = rs.first()?.get('next_bucket') as unknown;
    return v === null || v === undefined ? undefined : Number(v);
  }

  async setNextBucket(bucket: number): Promise<void> {
    await this.cql.execute(
      'UPDATE message_expiry_sweeps SET next_bucket = ? WHERE name = ?',
      [bucket, SWEEP],
      {
        prepare: true,
      },
    );
  }
}
