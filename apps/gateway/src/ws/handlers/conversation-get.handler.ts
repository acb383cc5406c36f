import type { IQueryHandler } from '@nestjs/cqrs';
import { ConversationCommandHandler } from '#libs/nats';
import type { ConversationSummary, Requests } from '#libs/protocol';
import { ConversationStore } from '#libs/read-models';
import { requireMember } from '../../conversations/member-access.js';
import { FrameHandler, FrameQuery } from '../frame-handler.js';
import { ConversationDto } from '../frames.dto.js';

/** One conversation's summary, for members only (one answer whether it exists or not). */
export class GetConversationQuery extends FrameQuery<
  ConversationDto,
  Requests['conversation.get']['result']
> {}

@FrameHandler(GetConversationQuery, { 'conversation.get': ConversationDto })
export class GetConversationHandler implements IQueryHandler<GetConversationQuery> {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly rows: ConversationStore,
  ) {}

  async execute({ conn, data }: GetConversationQuery): Promise<ConversationSummary> {
    // Membership from the log (current to the last change), activity from the read model.
    const { state } = await this.conversations.load(data.conversationId);
    requireMember(state, conn.userId);
    const row = await this.rows.summaryForUser(conn.userId, data.conversationId);
    return {
      conversationId: state.conversationId,
      kind: state.kind,
      members: [...state.members.keys()].sort(),
      // Until the projector has applied the conversation's first event, it has no activity yet.
      lastActivityAt: row?.lastActivityAt ?? new Date(0).toISOString(),
      ...(row?.lastMessage ? { lastMessage: row.lastMessage } : {}),
      unreadCount: row?.unreadCount ?? 0,
      ...(state.kind === 'group' && state.subject !== undefined ? { subject: state.subject } : {}),
      ...(row?.mentioned ? { mentioned: true } : {}),
      ...(state.disappearing.seconds > 0 ? { disappearing: state.disappearing } : {}),
    };
  }
}
