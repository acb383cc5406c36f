import { randomBytes } from 'node:crypto';
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
  LeaseBucket,
  NatsClient,
  partitionStreamName,
  presenceStreamName,
  userStreamName,
  USERS_LEASE_KEY,
  type LogOrigin,
  type StoredMessage,
} from '#libs/nats';
import type { ProcessConfig } from '#libs/config';
import { LOGGER, MetricsService, PROCESS_CONFIG } from '#libs/platform';
import { LeaseAssigner, type LeasedWork } from '../partitions/lease-assigner.js';
import type { ProjectorConfig } from '../projector.config.js';
import { PROJECTOR_SETTINGS } from '../tokens.js';
import { LiveConversationProjection } from './live-conversation-projection.js';
import { ProjectorMetrics } from './projector-metrics.js';
import { PresenceProjection } from './presence.projection.js';
import { ProgressPublisher } from './progress-publisher.js';
import { UserProjection } from './user.projection.js';
import { UserChangesFollower } from './user-changes-follower.js';
import { UsersBarrier } from './users-barrier.js';

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
 * Runs the durable consumers this process holds the leases of (LeaseAssigner: one holder per CHAT_<p>
 * among the projectors running side by side, and one for USERS, PRESENCE and the dead-letter retries),
 * and stops them first on shutdown, releasing the leases. Events a projection cannot apply are parked
 * on chat.dlq.<durable> after PROJECTOR_MAX_ATTEMPTS.
 */
@Injectable()
export class ProjectionRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly running: Running[] = [];
  private readonly metrics: ProjectorMetrics;
  private lagTimer?: NodeJS.Timeout;
  private assigner?: LeaseAssigner;

  constructor(
    private readonly nats: NatsClient,
    private readonly conversations: LiveConversationProjection,
    private readonly users: UserProjection,
    @Inject(PROJECTOR_SETTINGS) private readonly settings: Readonly<ProjectorConfig>,
    @Inject(PROCESS_CONFIG) private readonly processConfig: Readonly<ProcessConfig>,
    private readonly presence: PresenceProjection,
    private readonly progress: ProgressPublisher,
    private readonly usersBarrier: UsersBarrier,
    private readonly userChanges: UserChangesFollower,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.metrics = new ProjectorMetrics(metrics, logger);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { topology } = this.nats;
    await this.userChanges.start();
    const instance = `${this.processConfig.INSTANCE_ID.replace(/[^-\w]/g, '_')}-${randomBytes(3).toString('hex')}`;
    const bucket = await LeaseBucket.open(this.nats.nc, topology, {
      ttlMs: this.settings.PROJECTOR_LEASE_TTL_MS,
      replicas: topology.replicas,
      instance,
    });
    this.assigner = new LeaseAssigner(bucket, topology.partitions, (key) => this.workFor(key), this.logger);
    this.assigner.start();
    this.lagTimer = setInterval(() => void this.pollLag(), LAG_POLL_MS);
    this.lagTimer.unref();
    this.logger.info({ instance, partitions: topology.partitions }, 'projections taking their leases');
  }

  /** What the holder of a lease runs: one CHAT_<p> consumer, or the consumers that are not partitioned. */
  private workFor(key: string): LeasedWork {
    const { topology } = this.nats;
    let started: Running[] = [];
    const run = (
      make: () => Running[],
      before: () => void,
      after: () => void,
      fence: () => void = () => undefined,
    ): LeasedWork => ({
      fence,
      start: async () => {
        before();
        started = make();
        this.running.push(...started);
        await Promise.all(started.map((r) => r.consumer.start()));
      },
      stop: async () => {
        await Promise.all(started.map((r) => r.consumer.stop()));
        for (const r of started) this.running.splice(this.running.indexOf(r), 1);
        started = [];
        after();
      },
    });
    if (key === USERS_LEASE_KEY) {
      return run(
        () => {
          const users = this.add('users', userStreamName(topology), DURABLES.projectorUsers, this.users);
          this.usersBarrier.useFloor(() => users.consumer.floor());
          return [
            users,
            this.add('presence', presenceStreamName(topology), DURABLES.projectorPresence, this.presence),
            this.addRetries('conversations', DURABLES.projectorConversations, this.conversations),
            this.addRetries('users', DURABLES.projectorUsers, this.users),
          ];
        },
        () => undefined,
        () => this.usersBarrier.useFloor(undefined),
      );
    }
    const partition = Number(key.slice(1));
    return run(
      () => {
        const r = this.add(
          'conversations',
          partitionStreamName(topology, partition),
          DURABLES.projectorConversations,
          this.conversations,
        );
        this.progress.track(partition, () => r.consumer.floor());
        return [r];
      },
      // What this process cached of the partition before may be stale: another may have applied it since.
      () => this.conversations.forgetPartition(partition),
      () => this.progress.untrack(partition),
      () => this.conversations.fencePartition(partition),
    );
  }

  private add(
    projection: string,
    stream: string,
    durable: string,
    handler: LiveConversationProjection | UserProjection | PresenceProjection,
  ): Running {
    const { js, jsm, topology } = this.nats;
    // While the previous holder's events may still come back, an event may arrive before an older one
    // of its conversation: it is handled as a redelivery (caught up from the log first), or the older
    // one would be skipped as applied and its seq taken. (The consumer gives no head starts meanwhile.)
    const inOrder = (m: JsMsg): StoredMessage =>
      consumer.uncertain() ? { subject: m.subject, seq: m.seq, data: m.data, redelivered: true } : m;
    const consumer: DurableConsumer = new DurableConsumer(js, jsm, {
      stream,
      durable,
      ...(handler instanceof LiveConversationProjection
        ? {
            onFinished: () => this.progress.changed(),
            handleBatch: (ms: readonly JsMsg[]) => handler.handleBatch(ms.map(inOrder)),
            prepare: (m: JsMsg, caughtUp: boolean) => handler.prepare(m, caughtUp),
            afterPrepared: () => handler.receiptsMayRunAhead(),
          }
        : {}),
      keyOf: (m) => handler.keyOf(m),
      ...('afterKeyOf' in handler ? { afterKeyOf: (m: JsMsg) => handler.afterKeyOf(m) } : {}),
      handle: (m) => handler.handle(handler instanceof LiveConversationProjection ? inOrder(m) : m),
      logger: this.logger,
      maxAttempts: this.settings.PROJECTOR_MAX_ATTEMPTS,
      backoffMs: this.settings.PROJECTOR_RETRY_BACKOFF_MS,
      deadLetterSubject: deadLetterSubject(topology, durable),
      observer: this.metrics.observer(projection, stream),
    });
    return { projection, stream, durable, consumer };
  }

  /**
   * `chatctl dlq retry` republishes a parked event on chat.dlq.<durable>.retry; this consumer applies it
   * through the same projection at its original stream position, and parks it again if it still fails.
   */
  private addRetries(
    projection: string,
    durable: string,
    handler: LiveConversationProjection | UserProjection | PresenceProjection,
  ): Running {
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
    return { projection, stream, durable: `${durable}-retry`, consumer };
  }

  private async pollLag(): Promise<void> {
    for (const r of [...this.running]) {
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
    await this.assigner?.stop();
    this.logger.info('projections stopped; in-flight events drained');
  }
}
