import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConfig } from '#libs/config';
import type { TopologySettings } from './stream-topology.js';

/** One NATS connection per process, with its JetStream client and manager. */
export class NatsClient {
  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly topology: TopologySettings,
  ) {}

  static async connect(config: Readonly<NatsConfig>, name: string): Promise<NatsClient> {
    const nc = await connect({
      servers: config.NATS_URL.split(','),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: false,
      // Otherwise every request builds an Error up front (the caller's stack, for a timeout's trace):
      // 3 % of each app's CPU in a profile of the sync path. A timeout still fails, without that trace.
      noAsyncTraces: true,
    });
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    return new NatsClient(nc, jetstream(nc, { timeout: 5000 }), jsm, {
      namespace: config.NATS_NAMESPACE,
      partitions: config.CHAT_STREAM_PARTITIONS,
      replicas: config.NATS_STREAM_REPLICAS,
    });
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}
