import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { RetentionConfig } from '#libs/config';
import { subjectRoot } from '#libs/events';
import { DURABLES, NatsClient, partitionStreamName, purgeMessagesBefore } from '#libs/nats';
import { LOGGER, MetricsService, PeriodicTask } from '#libs/platform';
import { RETENTION } from '../tokens.js';

/**
 * In transient mode, purges message events older than the window from every conversation stream, so
 * no message content outlives the window in the log (tables expire by TTL). Every projector instance
 * may run it: a purge below a sequence is idempotent.
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
      'Message events purged from the log because they outlived the transient window',
      ['stream'],
    );
  }

  onApplicationBootstrap(): void {
    if (this.retention.RETENTION_MODE === 'transient') this.task.start();
  }

  async sweep(): Promise<void> {
    const { js, jsm, topology } = this.nats;
    const cutoff = new Date(Date.now() - this.retention.RETENTION_WINDOW_SECONDS * 1000);
    for (let p = 0; p < topology.partitions; p++) {
      const stream = partitionStreamName(topology, p);
      try {
        const floor = (await jsm.consumers.info(stream, DURABLES.projectorConversations)).ack_floor
          .stream_seq;
        const r = await purgeMessagesBefore(js, jsm, {
          stream,
          filter: `${subjectRoot(topology)}.conv.${p}.*.msg`,
          cutoff,
          notAfterSeq: floor,
        });
        if (r.purged > 0) {
          this.purged.inc({ stream }, r.purged);
          this.logger.info(
            { stream, purged: r.purged, belowSeq: r.belowSeq },
            'expired message events purged',
          );
        }
      } catch (err) {
        this.logger.warn(
          { stream, err: err instanceof Error ? err.message : String(err) },
          'retention sweep failed; retrying next interval',
        );
      }
    }
  }

  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }
}
