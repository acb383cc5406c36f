import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { RetentionConfig } from '#libs/config';
import { subjectRoot } from '#libs/events';
import {
  deadLetterStreamName,
  DURABLES,
  NatsClient,
  partitionStreamName,
  purgeMessagesBefore,
} from '#libs/nats';
import { LOGGER, MetricsService, PeriodicTask } from '#libs/platform';
import { RETENTION } from '../tokens.js';

/**
 * In transient mode, purges message events older than the window from every conversation stream, so
 * no message content outlives the window in the log (tables expire by TTL). Parked copies in the DLQ
 * stream go too once older than the window: a parked MessageSent holds the content, and every parked
 * event is a copy of one whose original stays in its own stream (or was purged with the window).
 * Every projector instance may run it: a purge below a sequence is idempotent.
 */
@Injectable()
export class RetentionSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly task: PeriodicTask;
  private readonly purged;

  constructor(
    private readonly nats: NatsClient,
    @Inject(RETENTION) private readonly retention: Readonly<RetentionConfig>,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.task = new PeriodicTask(
      'retention sweep',
      retention.RETENTION_SWEEP_INTERVAL_SECONDS * 1000,
      () => this.sweep(),
      logger,
    );
    this.purged = metrics.counter(
      'chat_retention_purged_messages_total',
      'Message events and parked dead letters purged from the log because they outlived the transient window',
      ['stream'],
    );
  }

  onApplicationBootstrap(): void {
    if (this.retention.RETENTION_MODE === 'transient') this.task.start();
  }

  async sweep(): Promise<void> {
    const { jsm, topology } = this.nats;
    const cutoff = new Date(Date.now() - this.retention.RETENTION_WINDOW_SECONDS * 1000);
    const root = subjectRoot(topology);
    for (let p = 0; p < topology.partitions; p++) {
      const stream = partitionStreamName(topology, p);
      await this.purge(stream, `${root}.conv.${p}.*.msg`, cutoff, async () => {
        // Never before the projector has fanned the message out to its recipients' inboxes.
        const info = await jsm.consumers.info(stream, DURABLES.projectorConversations);
        return info.ack_floor.stream_seq;
      });
    }
    await this.purge(deadLetterStreamName(topology), `${root}.dlq.>`, cutoff, () =>
      Promise.resolve(Number.MAX_SAFE_INTEGER),
    );
  }

  private async purge(
    stream: string,
    filter: string,
    cutoff: Date,
    notAfterSeq: () => Promise<number>,
  ): Promise<void> {
    try {
      const r = await purgeMessagesBefore(this.nats.js, this.nats.jsm, {
        stream,
        filter,
        cutoff,
        notAfterSeq: await notAfterSeq(),
      });
      if (r.purged > 0) {
        this.purged.inc({ stream }, r.purged);
        this.logger.info({ stream, purged: r.purged, belowSeq: r.belowSeq }, 'expired events purged');
      }
    } catch (err) {
      this.logger.warn(
        { stream, err: err instanceof Error ? err.message : String(err) },
        'retention sweep failed; retrying next interval',
      );
    }
  }

  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }
}
