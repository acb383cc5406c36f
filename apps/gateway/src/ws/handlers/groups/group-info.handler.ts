import type { IQueryHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import type { MediaConfig } from '#libs/config';
import { ObjectStore } from '#libs/s3';
import { MEDIA_CONFIG } from '../../../tokens.js';
import { groupIconKeyOf } from './group-icon.handler.js';
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
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly objects: ObjectStore,
    @Inject(MEDIA_CONFIG) private readonly media: Readonly<MediaConfig>,
  ) {}

  async execute({ conn, data }: GroupInfoQuery): Promise<GroupInfo> {
    const { state, version } = await this.conversations.load(data.conversationId);
    requireMember(state, conn.userId);
    if (state.kind !== 'group') throw new ApiError('NOT_FOUND', 'no such group');
    return {
      conversationId: state.conversationId,
      subject: state.subject ?? '',
      ...(state.description ? { description: state.description } : {}),
      settings: state.settings,
      ...(state.iconId !== undefined ? { icon: await this.icon(state.conversationId, state.iconId) } : {}),
      members: [...state.members].map(([userId, role]) => {
        const joinedAt = state.joinedAt.get(userId);
        return { userId, role, ...(joinedAt ? { joinedAt } : {}) };
      }),
      version,
    };
  }

  private async icon(conversationId: string, iconId: string): Promise<NonNullable<GroupInfo['icon']>> {
    const ttl = this.media.MEDIA_DOWNLOAD_URL_TTL_SECONDS;
    return {
      iconId,
      url: await this.objects.presignGet(groupIconKeyOf(conversationId, iconId), ttl),
      expiresInSeconds: ttl,
    };
  }
}
