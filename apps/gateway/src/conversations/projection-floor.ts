import { Injectable } from '@nestjs/common';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { DURABLES, NatsClient, partitionStreamName } from '#libs/nats';

const FRESH_MS = 250;

/**
 * How far the conversation projector has applied each partition without gaps (its consumer's ack
 * floor). The projector applies conversations in parallel, so an inbox entry at a lower position can be
 * written after one at a higher position; a device's cursor never moves past this floor, so a sync from
 * the cursor can never skip an entry that was written late.
 */
@Injectable()
export class ProjectionFloor {
  private readonly cache = new Map<number, { floor: number; at: number }>();

  constructor(private readonly nats: NatsClient) {}

  async of(partition: number): Promise<number> {
    const hit = this.cache.get(partition);
    if (hit && Date.now() - hit.at < FRESH_MS) return hit.floor;
    const stream = partitionStreamName(this.nats.topology, partition);
    let floor = 0;
    try {
      floor = (await this.nats.jsm.consumers.info(stream, DURABLES.projectorConversations)).ack_floor
        .stream_seq;
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
    }
    this.cache.set(partition, { floor, at: Date.now() });
    return floor;
  }
}
