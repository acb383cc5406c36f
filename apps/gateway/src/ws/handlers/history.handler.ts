import type { IQueryHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { ConversationCommandHandler } from '#libs/nats';
import type { HistoryMessage, Requests } from '#libs/protocol';
import { ConversationStore, GroupStore, TimelineStore } from '#libs/read-models';
import { ApiError } from '../../http/api-error.js';
import type { GroupsConfig } from '../../gateway.config.js';
import { GROUPS_CONFIG } from '../../tokens.js';
import { HistoryDto } from '../frames.dto.js';
import { requireMember } from '../../conversations/member-access.js';
import { FrameQuery, FrameHandler } from '../frame-handler.js';
import { MessageRefs } from '../../conversations/message-refs.js';

/** A page of a conversation's timeline before or after a message, for members only. */
export class HistoryQuery extends FrameQuery<HistoryDto, Requests['history.get']['result']> {}

@FrameHandler(HistoryQuery, { 'history.get': HistoryDto })
export class HistoryHandler implements IQueryHandler<HistoryQuery> {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly rows: ConversationStore,
    private readonly timeline: TimelineStore,
    private readonly refs: MessageRefs,
    private readonly groups: GroupStore,
    @Inject(GROUPS_CONFIG) private readonly config: Readonly<GroupsConfig>,
  ) {}

  /**
   * The first seq a member may read: with GROUP_HISTORY_FROM_JOIN, a group member sees the timeline
   * from the system message that announced their joining; before the projector has applied the join,
   * nothing yet.
   */
  private async firstVisibleSeq(
    kind: 'direct' | 'group',
    conversationId: string,
    userId: string,
  ): Promise<number> {
    if (kind !== 'group' || !this.config.GROUP_HISTORY_FROM_JOIN) return 1;
    return (await this.groups.joinedSeq(conversationId, userId)) ?? Number.MAX_SAFE_INTEGER;
  }

  private async seqOf(conversationId: string, messageId: string | undefined): Promise<number | undefined> {
    if (messageId === undefined) return undefined;
    const ref = await this.refs.of(conversationId, messageId);
    if (!ref) throw new ApiError('NOT_FOUND', `no message ${messageId} in this conversation`);
    return ref.seq;
  }

  async execute({ conn, data }: HistoryQuery): Promise<{ messages: HistoryMessage[] }> {
    if (data.before && data.after) throw new ApiError('VALIDATION_FAILED', 'give before or after, not both');
    const { state } = await this.conversations.load(data.conversationId);
    requireMember(state, conn.userId);
    const row = await this.rows.get(data.conversationId);
    if (!row) return { messages: [] };
    const beforeSeq = await this.seqOf(data.conversationId, data.before);
    const afterSeq = await this.seqOf(data.conversationId, data.after);
    const first = await this.firstVisibleSeq(state.kind, data.conversationId, conn.userId);
    if (first > row.lastMessageSeq) return { messages: [] };
    const messages = await this.timeline.page(data.conversationId, {
      ...(beforeSeq !== undefined ? { beforeSeq } : {}),
      // Reading forward starts no earlier than the first visible message; backward pages are filtered.
      ...(afterSeq !== undefined ? { afterSeq: Math.max(afterSeq, first - 1) } : {}),
      limit: data.limit ?? 50,
      lastSeq: row.lastMessageSeq,
      viewerId: conn.userId,
    });
    return { messages: messages.filter((m) => m.seq >= first) };
  }
}
