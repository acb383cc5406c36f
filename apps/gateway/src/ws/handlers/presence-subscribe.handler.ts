import type { ICommandHandler } from '@nestjs/cqrs';
import { ConversationCommandHandler } from '#libs/nats';
import type { PresenceState, Requests } from '#libs/protocol';
import { ApiError } from '../../http/api-error.js';
import { PresenceAccess } from '../../presence/presence-access.js';
import { PresenceQuery } from '../../presence/presence-query.js';
import { PresenceWatchers } from '../../presence/presence-watchers.js';
import { PresenceSubscribeDto } from '../frames.dto.js';
import { requireMember } from '../../conversations/member-access.js';
import { FrameCommand, FrameHandler } from '../frame-handler.js';

/**
 * Watches the presence of some users (the people of the conversation open on the device) and, with a
 * conversationId, that conversation's typing indicators. Replaces what the device watched before; an
 * empty list stops watching. Answers the current state of each user, then live `presence` frames follow.
 * A user who shows neither online status nor last seen to the device fails the whole request with
 * PRESENCE_HIDDEN (details.userIds); one who shows only one of them is answered redacted. An id that
 * is no account reads like a user never seen online (no existence oracle, no lookup per id).
 */
export class PresenceSubscribeCommand extends FrameCommand<
  PresenceSubscribeDto,
  Requests['presence.subscribe']['result']
> {}

@FrameHandler(PresenceSubscribeCommand, { 'presence.subscribe': PresenceSubscribeDto })
export class PresenceSubscribeHandler implements ICommandHandler<PresenceSubscribeCommand> {
  constructor(
    private readonly watchers: PresenceWatchers,
    private readonly query: PresenceQuery,
    private readonly access: PresenceAccess,
    private readonly conversations: ConversationCommandHandler,
  ) {}

  async execute({ conn, data }: PresenceSubscribeCommand): Promise<{ presence: PresenceState[] }> {
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
