import { Inject, Injectable } from '@nestjs/common';
import type { HealthIndicator } from '#libs/platform';
import { CASSANDRA_CLIENT } from './tokens.js';
import type { CqlClient } from './cassandra-client.js';

@Injectable()
export class CassandraHealthIndicator implements HealthIndicator {
  readonly name = 'cassandra';
  constructor(@Inject(CASSANDRA_CLIENT) private readonly client: CqlClient) {}

  async check(): Promise<void> {
    await this.client.execute('SELECT release_version FROM system.local', [], { readTimeout: 1000 });
  }
}
