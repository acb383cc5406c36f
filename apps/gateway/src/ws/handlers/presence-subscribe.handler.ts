import { Injectable } from '@nestjs/common';
import type { PresenceState } from '#libs/protocol';
import { ConversationRepository } from '../../conversations/conversation.repository.js';
import { ApiError } from '../../http/api-error.js';
import { PresenceAccess } from '../../presence/presence-access.js';
import { PresenceQuery } from '../../presence/presence-query.js';
import { PresenceWatchers } from '../../presence/presence-watchers.js';
import type { DeviceConnection } from '../device-connection.js';
import { PresenceSubscribeDto } from '../frames.dto.js';
import type { RequestHandler } from './request-handler.js';
import { requireMember } from '../../conversations/member-access.js';

/**
 * Watches the presence of some users (the people of the conversation open on the device) and, with a
 * conversationId, that conversation's typing indicators. Replaces what the device watched before; an
 * empty list stops watching. Answers the current state of each user, then live `presence` frames follow.
 * A user who shows neither online status nor last seen to the device fails the whole request with
 * PRESENCE_HIDDEN (details.userIds); one who shows only one of them is answered redacted. An id that
 * is no account reads like a user never seen online (no existence oracle, no lookup per id).
 */
@Injectable()
export class PresenceSubscribeHandler implements RequestHandler<'presence.subscribe'> {
  readonly type = 'presence.subscribe' as const;
  readonly dto = PresenceSubscribeDto;

  constructor(
    private readonly watchers: PresenceWatchers,
    private readonly query: PresenceQuery,
    private readonly access: PresenceAccess,
    private readonly conversations: ConversationRepository,
  ) {}

  async handle(conn: DeviceConnection, data: PresenceSubscribeDto): Promise<{ presence: PresenceState[] }> {
    const userIds = [...new Set(data.userIds)];
    if (data.conversationId) {
      const { state } = await this.conversations.load(data.conversationId);
      requireMember(state, conn.userId);
    }
    const visible = await Promise.all(userIds.map((u) => this.access.visibility(conn.userId, u)));
    const hidden = userIds.filter((_, i) => !visible[i]!.online && !visible[i]!.lastSeen);
    if (hidden.length > 0)
      throw new ApiError('PRESENCE_HIDDEN', 'these users do not share their presence with you', {
        userIds: hidden,
      });
    // Subscribe first, then read: an update between the two arrives as a frame, never gets lost.
    await this.watchers.watch(conn, userIds, data.conversationId);
    return { presence: await Promise.all(userIds.map((u) => this.query.stateFor(conn.userId, u))) };
  }
}
