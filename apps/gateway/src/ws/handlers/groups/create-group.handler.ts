import type { ICommandHandler } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import type { GroupChangeResult, Requests } from '#libs/protocol';
import { GroupCommands } from '../../../groups/group-commands.js';
import { CreateGroupDto } from '../../group-frames.dto.js';
import { FrameCommand, FrameHandler } from '../../frame-handler.js';

/** A random, unguessable group id: `g_` and 16 url-safe characters (a subject token). */
const newGroupId = (): string => `g_${randomBytes(12).toString('base64url')}`;

/** Creates a group: the creator is its admin, the named users its members. */
export class CreateGroupCommand extends FrameCommand<CreateGroupDto, Requests['group.create']['result']> {}

@FrameHandler(CreateGroupCommand, { 'group.create': CreateGroupDto })
export class CreateGroupHandler implements ICommandHandler<CreateGroupCommand> {
  constructor(private readonly groups: GroupCommands) {}

  async execute({ conn, data }: CreateGroupCommand): Promise<GroupChangeResult> {
    const members = [...new Set(data.members)].filter((u) => u !== conn.userId);
    await this.groups.requireUsers(members, conn.userId);
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
      ...(data.e2e === true ? { e2e: true } : {}),
    }));
  }
}
