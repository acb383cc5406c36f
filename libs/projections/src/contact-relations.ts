import type { MessageSent } from '#libs/events';
import type { ConversationRow, ConversationStore } from '#libs/read-models';
import { BoundedMap } from '#libs/platform';

const RECORDED_MAX = 100_000;

/**
 * The contact relation presence privacy reads ('contacts'): a user who sends a message in a direct
 * conversation makes its other member one of their contacts. Opening the chat is not enough, and a
 * reply is a message like any other, so accepting someone's message by answering it counts. Groups do
 * not count: anyone may be added to a group. Each pair is written once per process; the write is
 * idempotent, so replays and rebuilds give the same rows.
 */
export class ContactRelations {
  private readonly recorded = new BoundedMap<string, true>(RECORDED_MAX);

  constructor(private readonly conversations: ConversationStore) {}

  async messageSent(state: ConversationRow, event: MessageSent): Promise<void> {
    if (state.kind !== 'direct') return;
    const sender = event.data.senderUserId;
    for (const peer of state.members) {
      const pair = `${sender}/${peer}`;
      if (peer === sender || this.recorded.has(pair)) continue;
      await this.conversations.recordContact(sender, peer);
      this.recorded.set(pair, true);
    }
  }
}
