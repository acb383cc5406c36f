import type { ICommandHandler, IQueryHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import type { ConversationPrefsCommand } from '#libs/domain';
import { ConversationCommandHandler, UserCommandHandler } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';
import type { Requests, StarredMessage } from '#libs/protocol';
import { ConversationPrefsStore, MessageActionStore } from '#libs/read-models';
import { ApiError, accepted } from '../../http/api-error.js';
import { requireMember } from '../../conversations/member-access.js';
import { MessageRefs } from '../../conversations/message-refs.js';
import type { DeviceConnection } from '../device-connection.js';
import {
  ArchiveConversationDto,
  PinConversationDto,
  StarMessageDto,
  StarredListDto,
} from '../conversation-prefs.dto.js';
import { FrameCommand, FrameHandler, FrameQuery } from '../frame-handler.js';

type PrefsResult =
  | Requests['conversation.archive']['result']
  | Requests['conversation.pin']['result']
  | Requests['message.star']['result'];

export class ConversationPrefsCommandFrame extends FrameCommand<
  ArchiveConversationDto | PinConversationDto | StarMessageDto,
  PrefsResult
> {}

/**
 * A user's own view of their chats (issue 19): archive, pin (at most 3) and star, appended to the
 * user's aggregate, which every device of the user reads back through conversations.list and
 * starred.list. Only a member's conversation (and a message in it) can be archived, pinned or starred.
 */
@FrameHandler(ConversationPrefsCommandFrame, {
  'conversation.archive': ArchiveConversationDto,
  'conversation.pin': PinConversationDto,
  'message.star': StarMessageDto,
})
export class ConversationPrefsHandler implements ICommandHandler<ConversationPrefsCommandFrame> {
  constructor(
    private readonly users: UserCommandHandler,
    private readonly conversations: ConversationCommandHandler,
    private readonly messages: MessageActionStore,
    private readonly refs: MessageRefs,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ type, conn, data }: ConversationPrefsCommandFrame): Promise<PrefsResult> {
    requireMember((await this.conversations.load(data.conversationId)).state, conn.userId);
    if ('starred' in data) {
      // A message just received live may not have its row yet: look again once it is persisted.
      const target = await this.refs.persisted(data.conversationId, () =>
        this.messages.target(data.conversationId, data.messageId),
      );
      if (!target || target.hiddenFor.includes(conn.userId))
        throw new ApiError('NOT_FOUND', `no message ${data.messageId} in this conversation`);
      await this.append(conn, { type: 'StarMessage', ...data });
      return { conversationId: data.conversationId, messageId: data.messageId, starred: data.starred };
    }
    if ('pinned' in data) {
      await this.append(conn, { type: 'PinConversation', ...data });
      return { conversationId: data.conversationId, pinned: data.pinned };
    }
    if ('archived' in data) {
      await this.append(conn, { type: 'ArchiveConversation', ...data });
      return { conversationId: data.conversationId, archived: data.archived };
    }
    throw new Error(`no preference in ${type}`);
  }

  private async append(conn: DeviceConnection, command: ConversationPrefsCommand): Promise<void> {
    accepted(await this.users.handle(conn.userId, command, { now: this.clock.now() }));
  }
}

export class StarredListQuery extends FrameQuery<StarredListDto, Requests['starred.list']['result']> {}

/** The user's starred messages, as each is now (one timeline read per message; left out once gone). */
@FrameHandler(StarredListQuery, { 'starred.list': StarredListDto })
export class StarredListHandler implements IQueryHandler<StarredListQuery> {
  constructor(
    private readonly prefs: ConversationPrefsStore,
    private readonly messages: MessageActionStore,
  ) {}

  async execute({ conn, data }: StarredListQuery): Promise<{ messages: StarredMessage[] }> {
    const refs = (await this.prefs.starred(conn.userId)).slice(0, data.limit ?? 50);
    const found = await Promise.all(
      refs.map(async (r) => {
        const target = await this.messages.target(r.conversationId, r.messageId);
        // Expired with the retention window, or hidden by the user since: not listed.
        if (!target || target.hiddenFor.includes(conn.userId)) return undefined;
        return { starredAt: r.starredAt, message: target.message };
      }),
    );
    return { messages: found.filter((m): m is StarredMessage => m !== undefined) };
  }
}
