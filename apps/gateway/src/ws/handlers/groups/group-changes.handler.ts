import type { ICommandHandler } from '@nestjs/cqrs';
import type { GroupCommand } from '#libs/domain';
import type { GroupChangeResult } from '#libs/protocol';
import { GroupCommands } from '../../../groups/group-commands.js';
import type { GroupsConfig } from '../../../gateway.config.js';
import { FrameCommand, FrameHandler } from '../../frame-handler.js';
import {
  AddMembersDto,
  GroupDto,
  GroupMemberDto,
  UpdateInfoDto,
  UpdateSettingsDto,
} from '../../group-frames.dto.js';

/** A group command as decided by the conversation aggregate, short of the system message it posts. */
type Change = Omit<GroupCommand, 'systemMessageId'>;

/** One group change frame: how its data becomes the domain's command (`by` is the sender). */
interface ChangeRule<D extends GroupDto> {
  readonly dto: new () => D;
  readonly command: (by: string, data: D, config: Readonly<GroupsConfig>) => Change;
  /** Users the command takes in, who must have an account (NOT_FOUND names the others). */
  readonly newUsers?: (data: D) => readonly string[];
}

const rule = <D extends GroupDto>(r: ChangeRule<D>): ChangeRule<GroupDto> =>
  r as unknown as ChangeRule<GroupDto>;

/**
 * The group changes, one row per frame type. Each is decided by the conversation aggregate on the
 * group's `.meta` subject and posts a system message; the decider checks the rights (NOT_AN_ADMIN,
 * NOT_A_MEMBER, ALREADY_A_MEMBER, GROUP_FULL, ...).
 */
const CHANGES = {
  'group.add_members': rule<AddMembersDto>({
    dto: AddMembersDto,
    command: (by, d, config) => ({
      type: 'AddGroupMembers',
      by,
      userIds: d.userIds,
      maxMembers: config.GROUP_MAX_MEMBERS,
    }),
    newUsers: (d) => [...new Set(d.userIds)],
  }),
  // The removed member gets the notice of removal and nothing after it.
  'group.remove_member': rule<GroupMemberDto>({
    dto: GroupMemberDto,
    command: (by, d) => ({ type: 'RemoveGroupMember', by, userId: d.userId }),
  }),
  'group.leave': rule<GroupDto>({
    dto: GroupDto,
    command: (by) => ({ type: 'LeaveGroup', userId: by }),
  }),
  'group.promote': rule<GroupMemberDto>({
    dto: GroupMemberDto,
    command: (by, d) => ({ type: 'PromoteGroupAdmin', by, userId: d.userId }),
  }),
  'group.demote': rule<GroupMemberDto>({
    dto: GroupMemberDto,
    command: (by, d) => ({ type: 'DemoteGroupAdmin', by, userId: d.userId }),
  }),
  // Renames the group or changes its description (admins only when the settings say so).
  'group.update_info': rule<UpdateInfoDto>({
    dto: UpdateInfoDto,
    command: (by, d) => ({
      type: 'ChangeGroupInfo',
      by,
      ...(d.subject !== undefined ? { subject: d.subject } : {}),
      ...(d.description !== undefined ? { description: d.description } : {}),
    }),
  }),
  // Who may send and who may edit the info: everyone or admins (admins only change it).
  'group.update_settings': rule<UpdateSettingsDto>({
    dto: UpdateSettingsDto,
    command: (by, d) => ({
      type: 'ChangeGroupSettings',
      by,
      ...(d.sendMessages ? { sendMessages: d.sendMessages } : {}),
      ...(d.editInfo ? { editInfo: d.editInfo } : {}),
    }),
  }),
} as const;

type ChangeFrame = keyof typeof CHANGES;

export class ChangeGroupCommand extends FrameCommand<GroupDto, GroupChangeResult> {}

const DTOS = Object.fromEntries(Object.entries(CHANGES).map(([type, r]) => [type, r.dto])) as {
  readonly [K in ChangeFrame]: new () => object;
};

@FrameHandler(ChangeGroupCommand, DTOS)
export class ChangeGroupHandler implements ICommandHandler<ChangeGroupCommand> {
  constructor(private readonly groups: GroupCommands) {}

  async execute({ type, conn, data }: ChangeGroupCommand): Promise<GroupChangeResult> {
    const change = CHANGES[type as ChangeFrame];
    if (change.newUsers) await this.groups.requireUsers(change.newUsers(data), conn.userId);
    const command = change.command(conn.userId, data, this.groups.config);
    return this.groups.run(
      data.conversationId,
      (systemMessageId) => ({ ...command, systemMessageId }) as GroupCommand,
    );
  }
}
