import { CommandBus, type ICommandHandler } from '@nestjs/cqrs';
import { ConversationCommandHandler } from '#libs/nats';
import type { SendResult, Requests } from '#libs/protocol';
import { TimelineStore } from '#libs/read-models';
import { ApiError } from '../../../http/api-error.js';
import { ReplyPrivatelyDto } from '../../group-frames.dto.js';
import { OpenDirectCommand } from '../open-direct.handler.js';
import { SendMessageHandler } from '../send-message.handler.js';
import { requireMember } from '../../../conversations/member-access.js';
import { FrameCommand, FrameHandler } from '../../frame-handler.js';
import { MessageRefs } from '../../../conversations/message-refs.js';

/**
 * Replies to a group message in the 1:1 conversation with its author (opened if need be), quoting it:
 * the message's quote names the group and the message, which the author can resolve as a member.
 */
export class ReplyPrivatelyCommand extends FrameCommand<
  ReplyPrivatelyDto,
  Requests['message.reply_privately']['result']
> {}

@FrameHandler(ReplyPrivatelyCommand, { 'message.reply_privately': ReplyPrivatelyDto })
export class ReplyPrivatelyHandler implements ICommandHandler<ReplyPrivatelyCommand> {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly timeline: TimelineStore,
    private readonly refs: MessageRefs,
    private readonly commands: CommandBus,
    private readonly sender: SendMessageHandler,
  ) {}

  async execute({ conn, data }: ReplyPrivatelyCommand): Promise<SendResult> {
    const { state } = await this.conversations.load(data.groupConversationId);
    requireMember(state, conn.userId);
    const ref = await this.refs.of(data.groupConversationId, data.messageId);
    if (!ref) throw new ApiError('NOT_FOUND', `no message ${data.messageId} in this conversation`);
    if (ref.senderUserId === conn.userId)
      throw new ApiError('VALIDATION_FAILED', 'a private reply goes to someone else');
    const { conversationId } = await this.commands.execute(
      new OpenDirectCommand('conversation.open_direct', conn, { userId: ref.senderUserId }),
    );
    return this.sender.send(conn, {
      conversationId,
      clientMessageId: data.clientMessageId,
      text: data.text,
      replyTo: data.messageId,
      replyToConversationId: data.groupConversationId,
    });
  }
}
