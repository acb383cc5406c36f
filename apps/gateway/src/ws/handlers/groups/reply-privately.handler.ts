import { Injectable } from '@nestjs/common';
import type { SendResult } from '#libs/protocol';
import { TimelineStore } from '#libs/read-models';
import { ConversationRepository } from '../../../conversations/conversation.repository.js';
import { ApiError } from '../../../http/api-error.js';
import type { DeviceConnection } from '../../device-connection.js';
import { ReplyPrivatelyDto } from '../../group-frames.dto.js';
import { OpenDirectHandler } from '../open-direct.handler.js';
import { SendMessageHandler } from '../send-message.handler.js';
import type { RequestHandler } from '../request-handler.js';
import { requireMember } from '../../../conversations/member-access.js';

/**
 * Replies to a group message in the 1:1 conversation with its author (opened if need be), quoting it:
 * the message's quote names the group and the message, which the author can resolve as a member.
 */
@Injectable()
export class ReplyPrivatelyHandler implements RequestHandler<'message.reply_privately'> {
  readonly type = 'message.reply_privately' as const;
  readonly dto = ReplyPrivatelyDto;

  constructor(
    private readonly conversations: ConversationRepository,
    private readonly timeline: TimelineStore,
    private readonly openDirect: OpenDirectHandler,
    private readonly sender: SendMessageHandler,
  ) {}

  async handle(conn: DeviceConnection, data: ReplyPrivatelyDto): Promise<SendResult> {
    const { state } = await this.conversations.load(data.groupConversationId);
    requireMember(state, conn.userId);
    const ref = await this.timeline.ref(data.groupConversationId, data.messageId);
    if (!ref) throw new ApiError('NOT_FOUND', `no message ${data.messageId} in this conversation`);
    if (ref.senderUserId === conn.userId)
      throw new ApiError('VALIDATION_FAILED', 'a private reply goes to someone else');
    const { conversationId } = await this.openDirect.handle(conn, { userId: ref.senderUserId });
    return this.sender.send(conn, {
      conversationId,
      clientMessageId: data.clientMessageId,
      text: data.text,
      replyTo: data.messageId,
      replyToConversationId: data.groupConversationId,
    });
  }
}
