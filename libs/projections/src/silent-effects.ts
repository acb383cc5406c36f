import type { MessageSent } from '#libs/events';
import type { LogPosition } from '#libs/read-models';
import { ConversationFanOut, type FanOutPayload, type Recipient } from './conversation-fan-out.js';
import { MediaLinks, type MediaContent } from './media-links.js';

/**
 * The fan-out of a rebuild, and of the projector writing a second version during a hand-over: it
 * delivers nothing. Inbox entries are delivery state, not part of the conversations read model: a
 * device's acknowledgement deletes its entries, so writing them again would redeliver every message of
 * the log, and publishing live would push old messages to online devices. Delivery stays with the
 * projection of the version readers use.
 */
export class NoFanOut extends ConversationFanOut {
  deliver(
    _position: LogPosition,
    _conversationId: string,
    _recipients: readonly Recipient[],
    _payload: FanOutPayload,
  ): Promise<number> {
    return Promise.resolve(0);
  }
}

/**
 * Media lifecycle rows (where media was sent, devices a view-once object waits for, expiry) are left
 * as the projection of the version readers use wrote them: they are not versioned, and re-adding pending devices would make
 * view-once media that was opened and deleted look unopened.
 */
export class MediaLinksUntouched extends MediaLinks {
  messageSent(_members: readonly string[], _event: MessageSent, _content: MediaContent): Promise<void> {
    return Promise.resolve();
  }
}
