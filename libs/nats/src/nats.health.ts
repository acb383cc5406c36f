import { Injectable } from '@nestjs/common';
import type { HealthIndicator } from '#libs/platform';
import { NatsClient } from './nats-client.js';

/** NATS is up when the connection is open and JetStream answers an account-info request. */
@Injectable()
export class NatsHealthIndicator implements HealthIndicator {
  readonly name = 'nats';
  constructor(private readonly client: NatsClient) {}

  async check(): Promise<void> {
    if (this.client.nc.isClosed()) throw new Error('connection closed');
    await this.client.jsm.getAccountInfo();
  }
}
