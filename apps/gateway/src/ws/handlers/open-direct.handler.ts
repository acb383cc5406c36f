import type { ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { ConversationCommandHandler, UserCommandHandler } from '#libs/nats';
import { directConversationId } from '#libs/domain';
import { CLOCK, type Clock } from '#libs/platform';
import { ApiError, accepted } from '../../http/api-error.js';
import { OpenDirectDto } from '../frames.dto.js';
import type { Requests } from '#libs/protocol';
import { FrameCommand, FrameHandler } from '../frame-handler.js';

/** Opens (or finds) the 1:1 conversation with another user: a conversation of exactly two members. */
export class OpenDirectCommand extends FrameCommand<
  OpenDirectDto,
  Requests['conversation.open_direct']['result']
> {}

@FrameHandler(OpenDirectCommand, { 'conversation.open_direct': OpenDirectDto })
export class OpenDirectHandler implements ICommandHandler<OpenDirectCommand> {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly users: UserCommandHandler,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ conn, data }: OpenDirectCommand): Promise<{ conversationId: string; created: boolean }> {
    const conversationId = directConversationId(conn.userId, data.userId);
    if ((await this.conversations.load(conversationId)).state.status === 'active')
      return { conversationId, created: false };
    if ((await this.users.load(data.userId)).state.status !== 'active')
      throw new ApiError('NOT_FOUND', `no user ${data.userId}`);
    try {
      accepted(
        await this.conversations.handle(
          conversationId,
          { type: 'CreateDirectConversation', createdBy: conn.userId, peerUserId: data.userId },
          { now: this.clock.now() },
        ),
      );
      return { conversationId, created: true };
    } catch (err) {
      // Both users opened it at the same moment: the other one won, which is just as good.
      if ((await this.conversations.load(conversationId)).state.status === 'active')
        return { conversationId, created: false };
      throw err;
    }
  }
}
