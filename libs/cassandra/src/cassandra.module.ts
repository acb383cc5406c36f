import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { CassandraConfig } from '#libs/config';
import { MetricsService } from '#libs/platform';
import { CassandraHealthIndicator } from './cassandra.health.js';
import { createCassandraClient, type CqlClient } from './cassandra-client.js';
import { cassandraRequestCounter, cassandraStatementCounts } from './statement-metrics.js';
import { StatementTexts } from './statement-texts.js';
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
          inject: [MetricsService],
          useFactory: async (metrics: MetricsService) => {
            // Flat under load when every value goes through a bind marker (see StatementTexts).
            const gauge = metrics.gauge(
              'chat_cassandra_statement_texts',
              'Distinct Cassandra statement texts this process has sent',
            );
            gauge.set(0);
            const statementTexts = new StatementTexts(
              (count) => gauge.set(count),
              cassandraStatementCounts(metrics),
              cassandraRequestCounter(metrics),
            );
            const client = createCassandraClient(config, { applicationName, statementTexts });
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
