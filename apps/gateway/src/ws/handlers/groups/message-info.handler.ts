import type { IQueryHandler } from '@nestjs/cqrs';
import { ConversationCommandHandler } from '#libs/nats';
import type { MemberStatus, Requests } from '#libs/protocol';
import { ReceiptStore, TimelineStore } from '#libs/read-models';
import { ApiError } from '../../../http/api-error.js';
import { MessageInfoDto } from '../../group-frames.dto.js';
import { requireMember } from '../../../conversations/member-access.js';
import { FrameQuery, FrameHandler } from '../../frame-handler.js';
import { MessageRefs } from '../../../conversations/message-refs.js';

const READ_LOOKUP_BATCH = 64;

/** Each current member's delivered and read time of a message (the sender excluded), for members only. */
export class MessageInfoQuery extends FrameQuery<MessageInfoDto, Requests['message.info']['result']> {}

@FrameHandler(MessageInfoQuery, { 'message.info': MessageInfoDto })
export class MessageInfoHandler implements IQueryHandler<MessageInfoQuery> {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly timeline: TimelineStore,
    private readonly refs: MessageRefs,
    private readonly receipts: ReceiptStore,
  ) {}

  async execute({
    conn,
    data,
  }: MessageInfoQuery): Promise<{ conversationId: string; messageId: string; members: MemberStatus[] }> {
    const { state } = await this.conversations.load(data.conversationId);
    requireMember(state, conn.userId);
    const ref = await this.refs.of(data.conversationId, data.messageId);
    if (!ref) throw new ApiError('NOT_FOUND', `no message ${data.messageId} in this conversation`);
    const delivered = new Map(
      (await this.receipts.status(data.conversationId, data.messageId)).map((s) => [s.userId, s.deliveredAt]),
    );
    const userIds = [...state.members.keys()].filter((u) => u !== ref.senderUserId);
    const members: MemberStatus[] = [];
    // Read time: the first "read up to" marker at or after the message (a reader need not name it).
    for (let i = 0; i < userIds.length; i += READ_LOOKUP_BATCH) {
      members.push(
        ...(await Promise.all(
          userIds.slice(i, i + READ_LOOKUP_BATCH).map(async (userId): Promise<MemberStatus> => {
            const deliveredAt = delivered.get(userId);
            const readAt = await this.receipts.readAt(data.conversationId, userId, ref.seq);
            return { userId, ...(deliveredAt ? { deliveredAt } : {}), ...(readAt ? { readAt } : {}) };
          }),
        )),
      );
    }
    return { conversationId: data.conversationId, messageId: data.messageId, members };
  }
}
