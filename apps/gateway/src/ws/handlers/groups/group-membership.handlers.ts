import { Injectable } from '@nestjs/common';
import type { GroupChangeResult } from '#libs/protocol';
import { GroupCommands } from '../../../groups/group-commands.js';
import type { DeviceConnection } from '../../device-connection.js';
import { AddMembersDto, GroupDto, GroupMemberDto } from '../../group-frames.dto.js';
import type { RequestHandler } from '../request-handler.js';

/** An admin adds members (ALREADY_A_MEMBER, GROUP_FULL, NOT_AN_ADMIN, NOT_FOUND for unknown users). */
@Injectable()
export class AddMembersHandler implements RequestHandler<'group.add_members'> {
  readonly type = 'group.add_members' as const;
  readonly dto = AddMembersDto;

  constructor(private readonly groups: GroupCommands) {}

  async handle(conn: DeviceConnection, data: AddMembersDto): Promise<GroupChangeResult> {
    await this.groups.requireUsers([...new Set(data.userIds)]);
    return this.groups.run(data.conversationId, (systemMessageId) => ({
      type: 'AddGroupMembers',
      by: conn.userId,
      userIds: data.userIds,
      systemMessageId,
      maxMembers: this.groups.config.GROUP_MAX_MEMBERS,
    }));
  }
}

/** An admin removes a member: the member gets the notice of removal and nothing after it. */
@Injectable()
export class RemoveMemberHandler implements RequestHandler<'group.remove_member'> {
  readonly type = 'group.remove_member' as const;
  readonly dto = GroupMemberDto;

  constructor(private readonly groups: GroupCommands) {}

  handle(conn: DeviceConnection, data: GroupMemberDto): Promise<GroupChangeResult> {
    return this.groups.run(data.conversationId, (systemMessageId) => ({
      type: 'RemoveGroupMember',
      by: conn.userId,
      userId: data.userId,
      systemMessageId,
    }));
  }
}

@Injectable()
export class LeaveGroupHandler implements RequestHandler<'group.leave'> {
  readonly type = 'group.leave' as const;
  readonly dto = GroupDto;

  constructor(private readonly groups: GroupCommands) {}

  handle(conn: DeviceConnection, data: GroupDto): Promise<GroupChangeResult> {
    return this.groups.run(data.conversationId, (systemMessageId) => ({
      type: 'LeaveGroup',
      userId: conn.userId,
      systemMessageId,
    }));
  }
}

@Injectable()
export class PromoteHandler implements RequestHandler<'group.promote'> {
  readonly type = 'group.promote' as const;
  readonly dto = GroupMemberDto;

  constructor(private readonly groups: GroupCommands) {}

  handle(conn: DeviceConnection, data: GroupMemberDto): Promise<GroupChangeResult> {
    return this.groups.run(data.conversationId, (systemMessageId) => ({
      type: 'PromoteGroupAdmin',
      by: conn.userId,
      userId: data.userId,
      systemMessageId,
    }));
  }
}

@Injectable()
export class DemoteHandler implements RequestHandler<'group.demote'> {
  readonly type = 'group.demote' as const;
  readonly dto = GroupMemberDto;

  constructor(private readonly groups: GroupCommands) {}

  handle(conn: DeviceConnection, data: GroupMemberDto): Promise<GroupChangeResult> {
    return this.groups.run(data.conversationId, (systemMessageId) => ({
      type: 'DemoteGroupAdmin',
      by: conn.userId,
      userId: data.userId,
      systemMessageId,
    }));
  }
}
