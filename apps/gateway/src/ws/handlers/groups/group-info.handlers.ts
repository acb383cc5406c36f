import { Injectable } from '@nestjs/common';
import type { GroupChangeResult, GroupInfo } from '#libs/protocol';
import { ConversationRepository } from '../../../conversations/conversation.repository.js';
import { GroupCommands } from '../../../groups/group-commands.js';
import { ApiError } from '../../../http/api-error.js';
import type { DeviceConnection } from '../../device-connection.js';
import { GroupDto, UpdateInfoDto, UpdateSettingsDto } from '../../group-frames.dto.js';
import type { RequestHandler } from '../request-handler.js';
import { requireMember } from '../../../conversations/member-access.js';

/** Renames the group or changes its description (admins only when the settings say so). */
@Injectable()
export class UpdateInfoHandler implements RequestHandler<'group.update_info'> {
  readonly type = 'group.update_info' as const;
  readonly dto = UpdateInfoDto;

  constructor(private readonly groups: GroupCommands) {}

  handle(conn: DeviceConnection, data: UpdateInfoDto): Promise<GroupChangeResult> {
    return this.groups.run(data.conversationId, (systemMessageId) => ({
      type: 'ChangeGroupInfo',
      by: conn.userId,
      ...(data.subject !== undefined ? { subject: data.subject } : {}),
      ...(data.description !== undefined ? { description: data.description } : {}),
      systemMessageId,
    }));
  }
}

/** Who may send and who may edit the info: everyone or admins (admins only change it). */
@Injectable()
export class UpdateSettingsHandler implements RequestHandler<'group.update_settings'> {
  readonly type = 'group.update_settings' as const;
  readonly dto = UpdateSettingsDto;

  constructor(private readonly groups: GroupCommands) {}

  handle(conn: DeviceConnection, data: UpdateSettingsDto): Promise<GroupChangeResult> {
    return this.groups.run(data.conversationId, (systemMessageId) => ({
      type: 'ChangeGroupSettings',
      by: conn.userId,
      ...(data.sendMessages ? { sendMessages: data.sendMessages } : {}),
      ...(data.editInfo ? { editInfo: data.editInfo } : {}),
      systemMessageId,
    }));
  }
}

/** The group as the command side knows it now (folded from its `.meta` subject): for members only. */
@Injectable()
export class GroupInfoHandler implements RequestHandler<'group.info'> {
  readonly type = 'group.info' as const;
  readonly dto = GroupDto;

  constructor(private readonly conversations: ConversationRepository) {}

  async handle(conn: DeviceConnection, data: GroupDto): Promise<GroupInfo> {
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
