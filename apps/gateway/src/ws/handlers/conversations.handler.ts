import type { IQueryHandler } from '@nestjs/cqrs';
import type { ConversationSummary, Requests } from '#libs/protocol';
import { Inject } from '@nestjs/common';
import { CLOCK, type Clock } from '#libs/platform';
import {
  ConversationPrefsStore,
  ConversationStore,
  GroupStore,
  type ConversationPrefs,
} from '#libs/read-models';
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
    private readonly prefs: ConversationPrefsStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ conn, data }: ConversationsQuery): Promise<{ conversations: ConversationSummary[] }> {
    const [conversations, prefs] = await Promise.all([
      this.rows.listForUser(conn.userId, data.limit ?? 100),
      this.prefs.of(conn.userId, this.clock.now()),
    ]);
    const subjects = await this.groups.subjects(
      conversations.filter((c) => c.kind === 'group').map((c) => c.conversationId),
    );
    const listed = conversations.map((c) => {
      const subject = subjects.get(c.conversationId);
      return withPrefs(subject ? { ...c, subject } : c, prefs.get(c.conversationId));
    });
    // Pinned conversations lead the list; each part keeps the latest activity first.
    return { conversations: [...listed.filter((c) => c.pinned), ...listed.filter((c) => !c.pinned)] };
  }
}

/** The user's own marks on a conversation of their list: archived, pinned, muted. */
function withPrefs(c: ConversationSummary, p: ConversationPrefs | undefined): ConversationSummary {
  if (!p) return c;
  return {
    ...c,
    ...(p.archived ? { archived: true as const } : {}),
    ...(p.pinned ? { pinned: true as const } : {}),
    ...(p.mutedUntil !== undefined ? { muted: true as const } : {}),
    ...(p.mutedUntil instanceof Date ? { mutedUntil: p.mutedUntil.toISOString() } : {}),
  };
}
