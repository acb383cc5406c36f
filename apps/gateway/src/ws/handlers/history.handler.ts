import { Injectable } from '@nestjs/common';
import type { HistoryMessage } from '#libs/protocol';
import { ConversationStore, TimelineStore } from '#libs/read-models';
import { ConversationRepository } from '../../conversations/conversation.repository.js';
import { ApiError } from '../../http/api-error.js';
import type { DeviceConnection } from '../device-connection.js';
import { HistoryDto } from '../frames.dto.js';
import type { RequestHandler } from './request-handler.js';

/** A page of a conversation's timeline before or after a message, for members only. */
@Injectable()
export class HistoryHandler implements RequestHandler<'history.get'> {
  readonly type = 'history.get' as const;
  readonly dto = HistoryDto;

  constructor(
    private readonly conversations: ConversationRepository,
    private readonly rows: ConversationStore,
    private readonly timeline: TimelineStore,
  ) {}

  private async seqOf(conversationId: string, messageId: string | undefined): Promise<number | undefined> {
    if (messageId === undefined) return undefined;
    const ref = await this.timeline.ref(conversationId, messageId);
    if (!ref) throw new ApiError('NOT_FOUND', `no message ${messageId} in this conversation`);
    return ref.seq;
  }

  async handle(conn: DeviceConnection, data: HistoryDto): Promise<{ messages: HistoryMessage[] }> {
    if (data.before && data.after) throw new ApiError('VALIDATION_FAILED', 'give before or after, not both');
    const { state } = await this.conversations.load(data.conversationId);
    if (state.status !== 'active') throw new ApiError('NOT_FOUND', 'no such conversation');
    if (!state.members.has(conn.userId))
      throw new ApiError('NOT_A_MEMBER', 'you are not a member of this conversation');
    const row = await this.rows.get(data.conversationId);
    if (!row) return { messages: [] };
    const beforeSeq = await this.seqOf(data.conversationId, data.before);
    const afterSeq = await this.seqOf(data.conversationId, data.after);
    const messages = await this.timeline.page(data.conversationId, {
      ...(beforeSeq !== undefined ? { beforeSeq } : {}),
      ...(afterSeq !== undefined ? { afterSeq } : {}),
      limit: data.limit ?? 50,
      lastSeq: row.lastMessageSeq,
    });
    return { messages };
  }
}
