import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  DURABLES,
  DurableConsumer,
  NatsClient,
  presenceStreamName,
  streamTopology,
  userStreamName,
} from '#libs/nats';
import { LOGGER } from '#libs/platform';
import { ConversationProjection } from './conversation.projection.js';
import { PresenceProjection } from './presence.projection.js';
import { UserProjection } from './user.projection.js';

/** Starts one durable consumer per stream once the app is up, and stops them first on shutdown. */
@Injectable()
export class ProjectionRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly consumers: DurableConsumer[] = [];

  constructor(
    private readonly nats: NatsClient,
    private readonly conversations: ConversationProjection,
    private readonly users: UserProjection,
    private readonly presence: PresenceProjection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { js, jsm, topology } = this.nats;
    const chatStreams = streamTopology(topology).filter((s) => /CHAT_\d+$/.test(s.name));
    for (const stream of chatStreams) {
      this.consumers.push(
        new DurableConsumer(js, jsm, {
          stream: stream.name,
          durable: DURABLES.projectorConversations,
          keyOf: (m) => this.conversations.keyOf(m),
          handle: (m) => this.conversations.handle(m),
          logger: this.logger,
        }),
      );
    }
    this.consumers.push(
      new DurableConsumer(js, jsm, {
        stream: userStreamName(topology),
        durable: DURABLES.projectorUsers,
        keyOf: (m) => this.users.keyOf(m),
        handle: (m) => this.users.handle(m),
        logger: this.logger,
      }),
    );
    this.consumers.push(
      new DurableConsumer(js, jsm, {
        stream: presenceStreamName(topology),
        durable: DURABLES.projectorPresence,
        keyOf: (m) => m.subject,
        handle: (m) => this.presence.handle(m),
        logger: this.logger,
      }),
    );
    await Promise.all(this.consumers.map((c) => c.start()));
    this.logger.info({ consumers: this.consumers.length }, 'projections consuming');
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
    this.logger.info('projections stopped; in-flight events drained');
  }
}
