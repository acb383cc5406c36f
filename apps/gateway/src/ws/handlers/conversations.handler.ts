import type { IQueryHandler } from '@nestjs/cqrs';
import type { ConversationSummary, Requests } from '#libs/protocol';
import { ConversationStore, GroupStore } from '#libs/read-models';
import { ListConversationsDto } from '../frames.dto.js';
import { FrameQuery, FrameHandler } from '../frame-handler.js';

/** The device's user's conversations, latest activity first, with last message and unread count. */
export class ConversationsQuery extends FrameQuery<
  ListConversationsDto,
  Requests['conversations.list']['result']
> {}

@FrameHandler(ConversationsQuery, { 'conversations.list': ListConversationsDto })
export class ConversationsHandler implements IQueryHandler<ConversationsQuery> {
  constructor(
    private readonly rows: ConversationStore,
    private readonly groups: GroupStore,
  ) {}

  async execute({ conn, data }: ConversationsQuery): Promise<{ conversations: ConversationSummary[] }> {
    const conversations = await this.rows.listForUser(conn.userId, data.limit ?? 100);
    const subjects = await this.groups.subjects(
      conversations.filter((c) => c.kind === 'group').map((c) => c.conversationId),
    );
    return {
      conversations: conversations.map((c) => {
        const subject = subjects.get(c.conversationId);
        return subject ? { ...c, subject } : c;
      }),
    };
  }
}
