import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { contentKeyEnd } from '#libs/events';
import { ConversationCommandHandler } from '#libs/nats';
import { CLOCK, LOGGER, MetricsService, PeriodicTask, type Clock } from '#libs/platform';
import {
  CassandraPersonalKeyStore,
  expiryBucketOf,
  MessageExpiryStore,
  type ScheduledExpiry,
} from '#libs/read-models';
import type { ProjectorConfig } from '../projector.config.js';
import { PROJECTOR_SETTINGS } from '../tokens.js';

/** Rows handled per bucket and run; the rest wait for the next run. */
const BATCH = 500;
/**
 * A first run (no cursor yet) looks back this many hours. Rows are written when messages are projected,
 * at or after the sweeper first started beside the projection, and expire later than that: a day covers
 * a projector that ran that far behind.
 */
const FIRST_LOOKBACK_BUCKETS = 24;

/**
 * Enforces disappearing messages on the server, whether or not any client is online: every
 * DISAPPEARING_SWEEP_INTERVAL_MS it reads the expiry index (migration 018) and, for each message due,
 * appends MessageExpired to the conversation's log through the domain (which refuses one not due yet),
 * so every projection, live or rebuilt, removes it at the same place in the stream. Once the slice of
 * a message's content key has ended, it destroys that key: the MessageSent stored in the log no longer
 * opens. The index and its cursor are in Cassandra, so a restart resumes where the sweep was. Every
 * projector instance may sweep: MessageExpired is appended with a Nats-Msg-Id made of the message, its
 * projection changes nothing twice, and destroying a key twice is harmless.
 */
@Injectable()
export class ExpirySweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly task: PeriodicTask;
  private readonly expired;
  private readonly keysDestroyed;
  /** Content keys this process destroyed (spares a lightweight transaction per message of a slice). */
  private readonly destroyed = new Set<string>();

  constructor(
    private readonly index: MessageExpiryStore,
    private readonly conversations: ConversationCommandHandler,
    private readonly keys: CassandraPersonalKeyStore,
    @Inject(PROJECTOR_SETTINGS) config: Readonly<ProjectorConfig>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.task = new PeriodicTask(
      'disappearing messages sweep',
      config.DISAPPEARING_SWEEP_INTERVAL_MS,
      () => this.sweep(),
      logger,
    );
    this.expired = metrics.counter(
      'chat_disappearing_expired_total',
      'Disappearing messages whose MessageExpired the sweeper appended',
    );
    this.keysDestroyed = metrics.counter(
      'chat_disappearing_keys_destroyed_total',
      'Content keys of disappearing messages destroyed after their slice ended',
    );
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }

  async sweep(): Promise<void> {
    const now = this.clock.now();
    const current = expiryBucketOf(now);
    let bucket = (await this.index.nextBucket()) ?? current - FIRST_LOOKBACK_BUCKETS;
    let advancing = true;
    for (; bucket <= current; bucket++) {
      for (const row of await this.index.dueIn(bucket, now, BATCH)) await this.settle(row, now);
      // The cursor moves past an hour only once nothing is left in it.
      if (advancing && bucket < current && (await this.index.isEmpty(bucket)))
        await this.index.setNextBucket(bucket + 1);
      else advancing = false;
    }
  }

  /** Expires a due message (once), then, after its key's slice, destroys the key and drops the row. */
  private async settle(row: ScheduledExpiry, now: Date): Promise<void> {
    if (!row.expiredAt) {
      const r = await this.conversations.handle(
        row.conversationId,
        { type: 'ExpireMessage', messageId: row.messageId, expiresAt: row.expiresAt.toISOString() },
        { now, msgId: `expire.${row.conversationId}.${row.messageId}` },
      );
      if (!r.ok && r.error.code !== 'NOT_FOUND')
        return this.logger.warn({ ...row, code: r.error.code }, 'expiry refused; retried next sweep');
      await this.index.markExpired(row, now);
      this.expired.inc();
      this.logger.info(
        {
          conversationId: row.conversationId,
          messageId: row.messageId,
          ...(r.ok ? {} : { code: r.error.code }),
        },
        'message expired',
      );
    }
    const key = row.contentKey;
    const end = key !== undefined ? contentKeyEnd(key) : undefined;
    if (key !== undefined && end !== undefined) {
      if (end.getTime() > now.getTime()) return; // other messages of the slice may still be readable
      if (!this.destroyed.has(key)) {
        if (await this.keys.destroy(key, 'disappearing-messages', now)) this.keysDestroyed.inc();
        this.destroyed.add(key);
        if (this.destroyed.size > 10_000) this.destroyed.clear();
      }
    }
    await this.index.forget(row);
  }
}
