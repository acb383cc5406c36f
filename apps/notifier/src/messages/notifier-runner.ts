import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { subjectRoot } from '#libs/events';
import { DURABLES, DurableConsumer, NatsClient, streamTopology } from '#libs/nats';
import { LOGGER } from '#libs/platform';
import { DeliveryNoticesListener } from '../delivery/delivery-notices-listener.js';
import { UsersFollower } from '../directory/users-follower.js';
import type { PushPolicyConfig } from '../push.config.js';
import { PUSH_POLICY } from '../tokens.js';
import { MessageNotifier } from './message-notifier.js';

/**
 * One durable consumer per CHAT_<p>, filtered to message subjects and shared by every notifier instance.
 * Each message is its own key: grace periods run side by side, up to the in-flight bound.
 */
@Injectable()
export class NotifierRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly consumers: DurableConsumer[] = [];

  constructor(
    private readonly nats: NatsClient,
    private readonly notifier: MessageNotifier,
    private readonly users: UsersFollower,
    private readonly notices: DeliveryNoticesListener,
    @Inject(PUSH_POLICY) private readonly policy: Readonly<PushPolicyConfig>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Tokens registered before a message must be known when it is handled: fold USERS first.
    await this.users.start();
    this.notices.start();
    const { js, jsm, topology } = this.nats;
    const root = subjectRoot(topology);
    streamTopology(topology)
      .filter((s) => /CHAT_\d+$/.test(s.name))
      .forEach((stream, p) =>
        this.consumers.push(
          new DurableConsumer(js, jsm, {
            stream: stream.name,
            durable: DURABLES.notifierMessages,
            filterSubject: `${root}.conv.${p}.*.msg`,
            keyOf: (m) => String(m.seq),
            handle: (m) => this.notifier.handle(m),
            logger: this.logger,
            maxInFlight: 1000,
            ackWaitMs: this.policy.PUSH_ACK_WAIT_MS,
          }),
        ),
      );
    await Promise.all(this.consumers.map((c) => c.start()));
    this.logger.info({ consumers: this.consumers.length }, 'notifier consuming');
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }
}
