import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { JsMsg } from '@nats-io/jetstream';
import {
  deadLetterOrigin,
  deadLetterRetrySubject,
  deadLetterStreamName,
  deadLetterSubject,
  DURABLES,
  DurableConsumer,
  errorMessageOf,
  NatsClient,
  presenceStreamName,
  streamTopology,
  userStreamName,
  type LogOrigin,
  type StoredMessage,
} from '#libs/nats';
import { LOGGER, MetricsService } from '#libs/platform';
import type { ProjectorConfig } from '../projector.config.js';
import { PROJECTOR_SETTINGS } from '../tokens.js';
import { LiveConversationProjection } from './live-conversation-projection.js';
import { ProjectorMetrics } from './projector-metrics.js';
import { PresenceProjection } from './presence.projection.js';
import { UserProjection } from './user.projection.js';

const LAG_POLL_MS = 5000;

function retryOrigin(m: JsMsg): LogOrigin | undefined {
  const o = deadLetterOrigin(m.headers);
  return o ? { stream: o.stream, sequence: o.sequence, subject: o.subject } : undefined;
}

interface Running {
  readonly projection: string;
  readonly stream: string;
  readonly durable: string;
  readonly consumer: DurableConsumer;
}

/**
 * Starts one durable consumer per stream once the app is up, and stops them first on shutdown. Events
 * a projection cannot apply are parked on chat.dlq.<durable> after PROJECTOR_MAX_ATTEMPTS.
 */
@Injectable()
export class ProjectionRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly running: Running[] = [];
  private readonly metrics: ProjectorMetrics;
  private lagTimer?: NodeJS.Timeout;

  constructor(
    private readonly nats: NatsClient,
    private readonly conversations: LiveConversationProjection,
    private readonly users: UserProjection,
    @Inject(PROJECTOR_SETTINGS) private readonly settings: Readonly<ProjectorConfig>,
    private readonly presence: PresenceProjection,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.metrics = new ProjectorMetrics(metrics, logger);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { topology } = this.nats;
    const chatStreams = streamTopology(topology).filter((s) => /CHAT_\d+$/.test(s.name));
    for (const stream of chatStreams) {
      this.add('conversations', stream.name, DURABLES.projectorConversations, this.conversations);
    }
    this.add('users', userStreamName(topology), DURABLES.projectorUsers, this.users);
    this.add('presence', presenceStreamName(topology), DURABLES.projectorPresence, this.presence);
    this.addRetries('conversations', DURABLES.projectorConversations, this.conversations);
    this.addRetries('users', DURABLES.projectorUsers, this.users);
    await Promise.all(this.running.map((r) => r.consumer.start()));
    this.lagTimer = setInterval(() => void this.pollLag(), LAG_POLL_MS);
    this.lagTimer.unref();
    this.logger.info({ consumers: this.running.length }, 'projections consuming');
  }

  private add(
    projection: string,
    stream: string,
    durable: string,
    handler: LiveConversationProjection | UserProjection | PresenceProjection,
  ): void {
    const { js, jsm, topology } = this.nats;
    const consumer = new DurableConsumer(js, jsm, {
      stream,
      durable,
      keyOf: (m) => handler.keyOf(m),
      ...('afterKeyOf' in handler ? { afterKeyOf: (m: JsMsg) => handler.afterKeyOf(m) } : {}),
      handle: (m) => handler.handle(m),
      logger: this.logger,
      maxAttempts: this.settings.PROJECTOR_MAX_ATTEMPTS,
      backoffMs: this.settings.PROJECTOR_RETRY_BACKOFF_MS,
      deadLetterSubject: deadLetterSubject(topology, durable),
      observer: this.metrics.observer(projection, stream),
    });
    this.running.push({ projection, stream, durable, consumer });
  }

  /**
   * `chatctl dlq retry` republishes a parked event on chat.dlq.<durable>.retry; this consumer applies it
   * through the same projection at its original stream position, and parks it again if it still fails.
   */
  private addRetries(
    projection: string,
    durable: string,
    handler: LiveConversationProjection | UserProjection | PresenceProjection,
  ): void {
    const { js, jsm, topology } = this.nats;
    const stream = deadLetterStreamName(topology);
    const asLogged = (m: JsMsg): StoredMessage => {
      const origin = retryOrigin(m);
      return origin ? { subject: origin.subject, seq: origin.sequence, data: m.data } : m;
    };
    const consumer = new DurableConsumer(js, jsm, {
      stream,
      durable: `${durable}-retry`,
      filterSubject: deadLetterRetrySubject(topology, durable),
      keyOf: (m) => handler.keyOf(asLogged(m)),
      ...('afterKeyOf' in handler ? { afterKeyOf: (m: JsMsg) => handler.afterKeyOf(asLogged(m)) } : {}),
      handle: (m) => handler.handle(asLogged(m)),
      logger: this.logger,
      maxAttempts: this.settings.PROJECTOR_MAX_ATTEMPTS,
      backoffMs: this.settings.PROJECTOR_RETRY_BACKOFF_MS,
      deadLetterSubject: deadLetterSubject(topology, durable),
      originOf: retryOrigin,
      parkedFor: durable,
      observer: this.metrics.observer(projection, stream),
    });
    this.running.push({ projection, stream, durable: `${durable}-retry`, consumer });
  }

  private async pollLag(): Promise<void> {
    for (const r of this.running) {
      try {
        const info = await this.nats.jsm.consumers.info(r.stream, r.durable);
        this.metrics.recordLag(r.projection, r.stream, info.num_pending, Date.now());
      } catch (err) {
        this.logger.warn(
          { stream: r.stream, durable: r.durable, err: errorMessageOf(err) },
          'lag poll failed',
        );
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.lagTimer);
    await Promise.all(this.running.map((r) => r.consumer.stop()));
    this.logger.info('projections stopped; in-flight events drained');
  }
}
