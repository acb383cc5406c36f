import { Inject, Injectable } from '@nestjs/common';
import { directConversationId } from '#libs/domain';
import { CLOCK, type Clock } from '#libs/platform';
import { UserRepository } from '../../accounts/user.repository.js';
import { ConversationRepository } from '../../conversations/conversation.repository.js';
import { ApiError } from '../../http/api-error.js';
import type { DeviceConnection } from '../device-connection.js';
import { OpenDirectDto } from '../frames.dto.js';
import type { RequestHandler } from './request-handler.js';

/** Opens (or finds) the 1:1 conversation with another user: a conversation of exactly two members. */
@Injectable()
export class OpenDirectHandler implements RequestHandler<'conversation.open_direct'> {
  readonly type = 'conversation.open_direct' as const;
  readonly dto = OpenDirectDto;

  constructor(
    private readonly conversations: ConversationRepository,
    private readonly users: UserRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(
    conn: DeviceConnection,
    data: OpenDirectDto,
  ): Promise<{ conversationId: string; created: boolean }> {
    const conversationId = directConversationId(conn.userId, data.userId);
    if ((await this.conversations.load(conversationId)).state.status === 'active')
      return { conversationId, created: false };
    if ((await this.users.load(data.userId)).state.status !== 'active')
      throw new ApiError('NOT_FOUND', `no user ${data.userId}`);
    try {
      await this.conversations.execute(
        conversationId,
        { type: 'CreateDirectConversation', createdBy: conn.userId, peerUserId: data.userId },
        this.clock.now(),
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
