import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { GroupChangeResult } from '#libs/protocol';
import { GroupCommands } from '../../../groups/group-commands.js';
import type { DeviceConnection } from '../../device-connection.js';
import { CreateGroupDto } from '../../group-frames.dto.js';
import type { RequestHandler } from '../request-handler.js';

/** A random, unguessable group id: `g_` and 16 url-safe characters (a subject token). */
const newGroupId = (): string => `g_${randomBytes(12).toString('base64url')}`;

/** Creates a group: the creator is its admin, the named users its members. */
@Injectable()
export class CreateGroupHandler implements RequestHandler<'group.create'> {
  readonly type = 'group.create' as const;
  readonly dto = CreateGroupDto;

  constructor(private readonly groups: GroupCommands) {}

  async handle(conn: DeviceConnection, data: CreateGroupDto): Promise<GroupChangeResult> {
    const members = [...new Set(data.members)].filter((u) => u !== conn.userId);
    await this.groups.requireUsers(members);
    const conversationId = newGroupId();
    return this.groups.run(conversationId, (systemMessageId) => ({
      type: 'CreateGroup',
      conversationId,
      createdBy: conn.userId,
      subject: data.subject,
      ...(data.description !== undefined ? { description: data.description } : {}),
      memberUserIds: members,
      systemMessageId,
      maxMembers: this.groups.config.GROUP_MAX_MEMBERS,
    }));
  }
}
