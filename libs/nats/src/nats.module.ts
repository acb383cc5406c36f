import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { NatsConfig } from '#libs/config';
import { forgottenSubject, PersonalDataVault, type ChatEvent } from '#libs/events';
import { LOGGER, MetricsService } from '#libs/platform';
import { EventStore } from './event-store.js';
import { LiveDeliveryBus } from './live-delivery.js';
import { NatsClient } from './nats-client.js';
import { NatsHealthIndicator } from './nats.health.js';
import { NatsRequestCounts } from './request-counts.js';
import { provisionStreams } from './stream-provisioner.js';
import { streamTopology } from './stream-topology.js';
import { ConversationCommandHandler, UserCommandHandler } from './aggregates/aggregate-handlers.js';

export const CHAT_EVENT_STORE = Symbol('CHAT_EVENT_STORE');

/** Connects to NATS, makes sure every stream exists with the wanted config, and offers the event store. */
@Global()
@Module({})
export class NatsModule implements OnApplicationShutdown {
  constructor(
    private readonly client: NatsClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  static forRoot(config: Readonly<NatsConfig>, connectionName: string): DynamicModule {
    return {
      module: NatsModule,
      providers: [
        {
          provide: NatsClient,
          inject: [LOGGER, MetricsService],
          useFactory: async (logger: Logger, metrics: MetricsService) => {
            const client = await NatsClient.connect(config, connectionName);
            const requests = metrics.counter(
              'chat_nats_requests_total',
              'NATS requests sent (JetStream publishes, direct gets, consumer and stream API, KV), by caller and kind',
              ['caller', 'kind'],
            );
            new NatsRequestCounts((caller, kind) => requests.labels(caller, kind)).attach(client.nc);
            const outcome = await provisionStreams(
              client.jsm,
              streamTopology(client.topology),
              client.topology.replicas,
            );
            logger.info({ streams: outcome, server: client.nc.getServer() }, 'nats connected; streams ready');
            return client;
          },
        },
        {
          provide: CHAT_EVENT_STORE,
          inject: [NatsClient, PersonalDataVault],
          useFactory: (client: NatsClient, vault: PersonalDataVault<ChatEvent>) => {
            // `chatctl forget` announces a destroyed key; drop it here rather than when the cache expires.
            client.nc.subscribe(forgottenSubject(client.topology, '*'), {
              callback: (err, msg) => {
                if (!err) vault.evict(msg.subject.slice(msg.subject.lastIndexOf('.') + 1));
              },
            });
            return new EventStore<ChatEvent>(client.js, client.jsm, vault);
          },
        },
        {
          provide: UserCommandHandler,
          inject: [NatsClient, CHAT_EVENT_STORE],
          useFactory: (client: NatsClient, store: EventStore<ChatEvent>) =>
            new UserCommandHandler(client, store),
        },
        {
          provide: ConversationCommandHandler,
          inject: [NatsClient, CHAT_EVENT_STORE],
          useFactory: (client: NatsClient, store: EventStore<ChatEvent>) =>
            new ConversationCommandHandler(client, store),
        },
        {
          provide: LiveDeliveryBus,
          inject: [NatsClient],
          useFactory: (client: NatsClient) => new LiveDeliveryBus(client.nc, client.topology),
        },
        NatsHealthIndicator,
      ],
      exports: [
        NatsClient,
        CHAT_EVENT_STORE,
        UserCommandHandler,
        ConversationCommandHandler,
        LiveDeliveryBus,
        NatsHealthIndicator,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
    this.logger.info('nats connection drained');
  }
}
