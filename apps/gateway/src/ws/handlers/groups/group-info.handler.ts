import type { IQueryHandler } from '@nestjs/cqrs';
import { ConversationCommandHandler } from '#libs/nats';
import type { GroupInfo, Requests } from '#libs/protocol';
import { ApiError } from '../../../http/api-error.js';
import { GroupDto } from '../../group-frames.dto.js';
import { requireMember } from '../../../conversations/member-access.js';
import { FrameQuery, FrameHandler } from '../../frame-handler.js';

/** The group as the command side knows it now (folded from its `.meta` subject): for members only. */
export class GroupInfoQuery extends FrameQuery<GroupDto, Requests['group.info']['result']> {}

@FrameHandler(GroupInfoQuery, { 'group.info': GroupDto })
export class GroupInfoHandler implements IQueryHandler<GroupInfoQuery> {
  constructor(private readonly conversations: ConversationCommandHandler) {}

  async execute({ conn, data }: GroupInfoQuery): Promise<GroupInfo> {
    const { state, version } = await this.conversations.load(data.conversationId);
    requireMember(state, conn.userId);
    if (state.kind !== 'group') throw new ApiError('NOT_FOUND', 'no such group');
    return {
      conversationId: state.conversationId,
      subject: state.subject ?? '',
      ...(state.description ? { description: state.description } : {}),
      settings: state.settings,
      members: [...state.members].map(([userId, role]) => ({ userId, role })),
      version,
    };
  }
}
