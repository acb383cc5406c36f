import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { CassandraConfig } from '#libs/config';
import { CassandraHealthIndicator } from './cassandra.health.js';
import { createCassandraClient, type CqlClient } from './cassandra-client.js';
import { CASSANDRA_CLIENT } from './tokens.js';

/**
 * The driver client of the read-model keyspace. The app does not create the schema: `chatctl migrate`
 * (run by `stack up`) does, so a process never races another over DDL.
 */
@Global()
@Module({})
export class CassandraModule implements OnApplicationShutdown {
  constructor(@Inject(CASSANDRA_CLIENT) private readonly client: CqlClient) {}

  static forRoot(config: Readonly<CassandraConfig>, applicationName: string): DynamicModule {
    return {
      module: CassandraModule,
      providers: [
        {
          provide: CASSANDRA_CLIENT,
          useFactory: async () => {
            const client = createCassandraClient(config, { applicationName });
            // Connect lazily if Cassandra is down at boot: /readyz reports it and the driver reconnects.
            await client.connect().catch(() => undefined);
            return client;
          },
        },
        CassandraHealthIndicator,
      ],
      exports: [CASSANDRA_CLIENT, CassandraHealthIndicator],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.shutdown();
  }
}
