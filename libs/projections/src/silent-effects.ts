import type { MessageSent } from '#libs/events';
import type { LogPosition } from '#libs/read-models';
import {
  ConversationFanOut,
  type FanOutPayload,
  type PublishedEntry,
  type Recipient,
} from './conversation-fan-out.js';
import { MediaLinks, type MediaContent } from './media-links.js';

const NOTHING: PublishedEntry = { count: 0, persist: () => Promise.resolve() };

/**
 * The fan-out of a rebuild, and of the projector writing a second version during a hand-over: it
 * delivers nothing. Inbox entries are delivery state, not part of the conversations read model: a
 * device's acknowledgement deletes its entries, so writing them again would redeliver every message of
 * the log, and publishing live would push old messages to online devices. Delivery stays with the
 * projection of the version readers use.
 */
export class NoFanOut extends ConversationFanOut {
  publish(
    _position: LogPosition,
    _conversationId: string,
    _recipients: readonly Recipient[],
    _payload: FanOutPayload,
  ): Promise<PublishedEntry> {
    return Promise.resolve(NOTHING);
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

  messageDeleted(_conversationId: string, _messageId: string, _mediaId: string, _at: Date): Promise<void> {
    return Promise.resolve();
  }

  e2eMediaSent(_event: MessageSent, _mediaIds: readonly string[]): Promise<void> {
    return Promise.resolve();
  }
}
