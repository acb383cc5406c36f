import { Injectable } from '@nestjs/common';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { DURABLES, NatsClient, partitionStreamName } from '#libs/nats';
import { LiveProgress } from '../ws/live-progress.js';

/** How long a polled floor is trusted. */
const FRESH_MS = 250;

/**
 * How far the conversation projector has applied each partition without gaps. The projector applies
 * conversations in parallel, so an inbox entry at a lower position can be written after one at a higher
 * position; a device's cursor never moves past this floor, so a sync from the cursor can never skip an
 * entry that was written late.
 *
 * The projector publishes its progress (ProjectionProgress, core NATS), which LiveProgress keeps in
 * memory. Only a partition nothing was heard of yet (a projector that has not published since this
 * gateway started, or an older one that never does) is read from the consumer's ack floor, at most every
 * 250 ms.
 */
@Injectable()
export class ProjectionFloor {
  private readonly polled = new Map<number, { floor: number; at: number }>();

  constructor(
    private readonly nats: NatsClient,
    private readonly progress: LiveProgress,
  ) {}

  /** Whether the projector has told this gateway its progress in this partition (then it also reads AckedNotice). */
  heardFrom(partition: number): boolean {
    return this.progress.of(partition) !== undefined;
  }

  async of(partition: number): Promise<number> {
    const heard = this.progress.of(partition);
    if (heard) return heard.floor;
    const hit = this.polled.get(partition);
    if (hit && Date.now() - hit.at < FRESH_MS) return hit.floor;
    const floor = await this.poll(partition);
    this.polled.set(partition, { floor, at: Date.now() });
    return Math.max(floor, this.progress.of(partition)?.floor ?? 0);
  }

  private async poll(partition: number): Promise<number> {
    const stream = partitionStreamName(this.nats.topology, partition);
    try {
      return (await this.nats.jsm.consumers.info(stream, DURABLES.projectorConversations)).ack_floor
        .stream_seq;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return 0;
      throw err;
    }
  }
}
