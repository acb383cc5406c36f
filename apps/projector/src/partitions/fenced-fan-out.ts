import {
  ConversationFanOut,
  type FanOutPayload,
  type PublishedEntry,
  type Recipient,
} from '#libs/projections';
import type { LogPosition } from '#libs/read-models';
import type { PartitionFence } from './partition-fence.js';

/** The fan-out of one partition's projection: nothing is published or written once its fence closed. */
export class FencedFanOut extends ConversationFanOut {
  constructor(
    private readonly inner: ConversationFanOut,
    private readonly fence: PartitionFence,
  ) {
    super();
  }

  override ready(): Promise<void> {
    return this.inner.ready();
  }

  override beforeWrites(): Promise<void> {
    return this.inner.beforeWrites();
  }

  async publish(
    position: LogPosition,
    conversationId: string,
    recipients: readonly Recipient[],
    payload: FanOutPayload,
  ): Promise<PublishedEntry> {
    this.fence.assertOpen('a live publish');
    const entry = await this.inner.publish(position, conversationId, recipients, payload);
    return {
      count: entry.count,
      persist: async (ttlSeconds) => {
        this.fence.assertOpen('inbox rows');
        await entry.persist(ttlSeconds);
      },
    };
  }
}
