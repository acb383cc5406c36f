import { Injectable } from '@nestjs/common';
import { TimelineStore, type MessageRef } from '#libs/read-models';
import { LiveSessions } from '../ws/live-sessions.js';

/**
 * Where a message sits in its conversation, for requests that name one (read up to, history around,
 * message info, private reply). Messages go out live before they are persisted, so a device may name
 * one whose row is not written yet: a message this gateway routed live is known from its frame (the
 * reactor published it, so it exists there); otherwise, when the timeline does not have it, this
 * waits until what the gateway has received live for that partition is persisted, and looks again.
 */
@Injectable()
export class MessageRefs {
  constructor(
    private readonly timeline: TimelineStore,
    private readonly live: LiveSessions,
  ) {}

  async of(conversationId: string, messageId: string): Promise<MessageRef | undefined> {
    const routed = this.live.routedMessage(conversationId, messageId);
    if (routed) return routed;
    return this.persisted(conversationId, () => this.timeline.ref(conversationId, messageId));
  }

  /** `find` now, or, when it finds nothing, again once the partition's live frames are persisted. */
  async persisted<T>(conversationId: string, find: () => Promise<T | undefined>): Promise<T | undefined> {
    const now = await find();
    if (now !== undefined) return now;
    await this.live.persisted(conversationId);
    return find();
  }
}
