import type {
  ConversationCreated,
  ConversationEvent,
  GroupAdminDemoted,
  GroupAdminPromoted,
  GroupInfoChanged,
  GroupMemberLeft,
  GroupMemberRemoved,
  GroupMembersAdded,
  GroupSettingsChanged,
} from '#libs/events';
import { accept, reject, type CommandContext, type Decision } from '../errors.js';
import {
  DEFAULT_GROUP_SETTINGS,
  NOT_A_MEMBER_MESSAGE,
  type ActiveConversation,
  type ConversationState,
} from './conversation.state.js';
import type { GroupCommand } from './group.commands.js';
import { envelope } from '../envelope.js';

export const GROUP_SUBJECT_MAX_CHARS = 100;
export const GROUP_DESCRIPTION_MAX_CHARS = 2048;

const chars = (s: string): number => [...s].length;

function checkSubject<E>(subject: string): Decision<E> | undefined {
  const trimmed = subject.trim();
  if (trimmed.length === 0) return reject('VALIDATION_FAILED', 'the group subject must not be empty');
  if (chars(trimmed) > GROUP_SUBJECT_MAX_CHARS)
    return reject(
      'VALIDATION_FAILED',
      `the group subject is limited to ${GROUP_SUBJECT_MAX_CHARS} characters`,
    );
  return undefined;
}

function checkDescription<E>(description: string): Decision<E> | undefined {
  if (chars(description) > GROUP_DESCRIPTION_MAX_CHARS)
    return reject(
      'VALIDATION_FAILED',
      `the group description is limited to ${GROUP_DESCRIPTION_MAX_CHARS} characters`,
    );
  return undefined;
}

const groupFull = <E>(limit: number): Decision<E> =>
  reject('GROUP_FULL', `a group has at most ${limit} members`, { limit });

/** The group and an acting member, or why the command cannot go on. */
function actingOn(
  state: ConversationState,
  actor: string,
  needsAdmin: boolean,
): { group: ActiveConversation } | { rejected: Decision<ConversationEvent> } {
  // Membership first: a non-member learns nothing of the conversation, not even its kind.
  if (state.status !== 'active' || !state.members.has(actor))
    return { rejected: reject('NOT_A_MEMBER', NOT_A_MEMBER_MESSAGE) };
  if (state.kind !== 'group')
    return { rejected: reject('VALIDATION_FAILED', 'this conversation is not a group') };
  if (needsAdmin && state.members.get(actor) !== 'admin')
    return { rejected: reject('NOT_AN_ADMIN', 'only an admin of the group may do this') };
  return { group: state };
}

/** Decides a group command against the conversation's state. Only admins change membership and settings. */
export function decideGroup(
  command: GroupCommand,
  state: ConversationState,
  ctx: CommandContext,
): Decision<ConversationEvent> {
  switch (command.type) {
    case 'CreateGroup': {
      if (state.status === 'active') return reject('ALREADY_EXISTS', 'the conversation exists');
      const bad = checkSubject<ConversationEvent>(command.subject);
      if (bad) return bad;
      if (command.description !== undefined) {
        const badDescription = checkDescription<ConversationEvent>(command.description);
        if (badDescription) return badDescription;
      }
      const others = [...new Set(command.memberUserIds)].filter((u) => u !== command.createdBy);
      if (others.length + 1 > command.maxMembers) return groupFull(command.maxMembers);
      return accept(
        envelope<ConversationCreated>(ctx, 'ConversationCreated', {
          conversationId: command.conversationId,
          kind: 'group',
          createdBy: command.createdBy,
          members: [
            { userId: command.createdBy, role: 'admin' },
            ...others.map((userId) => ({ userId, role: 'member' as const })),
          ],
          title: command.subject.trim(),
          ...(command.description ? { description: command.description } : {}),
          settings: DEFAULT_GROUP_SETTINGS,
          systemMessageId: command.systemMessageId,
          ...(command.e2e ? { e2e: true } : {}),
        }),
      );
    }
    case 'AddGroupMembers': {
      const acting = actingOn(state, command.by, true);
      if ('rejected' in acting) return acting.rejected;
      const { group } = acting;
      const userIds = [...new Set(command.userIds)];
      if (userIds.length === 0) return reject('VALIDATION_FAILED', 'name at least one user to add');
      const already = userIds.filter((u) => group.members.has(u));
      if (already.length > 0)
        return reject('ALREADY_A_MEMBER', `already a member: ${already.join(', ')}`, { userIds: already });
      if (group.members.size + userIds.length > command.maxMembers) return groupFull(command.maxMembers);
      return accept(
        envelope<GroupMembersAdded>(ctx, 'GroupMembersAdded', {
          conversationId: group.conversationId,
          addedBy: command.by,
          userIds,
          systemMessageId: command.systemMessageId,
        }),
      );
    }
    case 'RemoveGroupMember': {
      const acting = actingOn(state, command.by, true);
      if ('rejected' in acting) return acting.rejected;
      const { group } = acting;
      if (command.userId === command.by)
        return reject('VALIDATION_FAILED', 'to remove yourself, leave the group');
      if (!group.members.has(command.userId))
        return reject('NOT_A_MEMBER', `${command.userId} is not a member of this group`, {
          userId: command.userId,
        });
      return accept(
        envelope<GroupMemberRemoved>(ctx, 'GroupMemberRemoved', {
          conversationId: group.conversationId,
          removedBy: command.by,
          userId: command.userId,
          systemMessageId: command.systemMessageId,
        }),
      );
    }
    case 'LeaveGroup': {
      const acting = actingOn(state, command.userId, false);
      if ('rejected' in acting) return acting.rejected;
      const { group } = acting;
      const rest = [...group.members].filter(([u]) => u !== command.userId);
      // A group never loses its last admin while it has members: the longest-standing member takes over.
      const newAdmin = rest.some(([, role]) => role === 'admin') ? undefined : rest[0]?.[0];
      return accept(
        envelope<GroupMemberLeft>(ctx, 'GroupMemberLeft', {
          conversationId: group.conversationId,
          userId: command.userId,
          ...(newAdmin ? { newAdminUserId: newAdmin } : {}),
          systemMessageId: command.systemMessageId,
        }),
      );
    }
    case 'PromoteGroupAdmin':
    case 'DemoteGroupAdmin': {
      const acting = actingOn(state, command.by, true);
      if ('rejected' in acting) return acting.rejected;
      const { group } = acting;
      const role = group.members.get(command.userId);
      if (!role)
        return reject('NOT_A_MEMBER', `${command.userId} is not a member of this group`, {
          userId: command.userId,
        });
      const data = {
        conversationId: group.conversationId,
        by: command.by,
        userId: command.userId,
        systemMessageId: command.systemMessageId,
      };
      if (command.type === 'PromoteGroupAdmin') {
        if (role === 'admin') return reject('VALIDATION_FAILED', `${command.userId} is already an admin`);
        return accept(envelope<GroupAdminPromoted>(ctx, 'GroupAdminPromoted', data));
      }
      if (role !== 'admin') return reject('VALIDATION_FAILED', `${command.userId} is not an admin`);
      return accept(envelope<GroupAdminDemoted>(ctx, 'GroupAdminDemoted', data));
    }
    case 'ChangeGroupInfo': {
      if (state.status === 'active' && state.kind === 'group') {
        const acting = actingOn(state, command.by, state.settings.editInfo === 'admins');
        if ('rejected' in acting) return acting.rejected;
      } else {
        const acting = actingOn(state, command.by, false);
        if ('rejected' in acting) return acting.rejected;
      }
      const group = state as ActiveConversation;
      const icon = command.iconId !== undefined || command.removeIcon !== undefined;
      if (command.subject === undefined && command.description === undefined && !icon)
        return reject('VALIDATION_FAILED', 'give a subject, a description or an icon');
      if (command.iconId !== undefined && command.removeIcon !== undefined)
        return reject('VALIDATION_FAILED', 'give a new icon or remove it, not both');
      if (command.subject !== undefined) {
        const bad = checkSubject<ConversationEvent>(command.subject);
        if (bad) return bad;
      }
      if (command.description !== undefined) {
        const bad = checkDescription<ConversationEvent>(command.description);
        if (bad) return bad;
      }
      return accept(
        envelope<GroupInfoChanged>(ctx, 'GroupInfoChanged', {
          conversationId: group.conversationId,
          changedBy: command.by,
          ...(command.subject !== undefined ? { subject: command.subject.trim() } : {}),
          ...(command.description !== undefined ? { description: command.description } : {}),
          ...(command.iconId !== undefined ? { iconId: command.iconId } : {}),
          ...(command.removeIcon ? { iconRemoved: true as const } : {}),
          systemMessageId: command.systemMessageId,
        }),
      );
    }
    case 'ChangeGroupSettings': {
      const acting = actingOn(state, command.by, true);
      if ('rejected' in acting) return acting.rejected;
      const { group } = acting;
      if (command.sendMessages === undefined && command.editInfo === undefined)
        return reject('VALIDATION_FAILED', 'give sendMessages, editInfo or both');
      return accept(
        envelope<GroupSettingsChanged>(ctx, 'GroupSettingsChanged', {
          conversationId: group.conversationId,
          changedBy: command.by,
          settings: {
            sendMessages: command.sendMessages ?? group.settings.sendMessages,
            editInfo: command.editInfo ?? group.settings.editInfo,
          },
          systemMessageId: command.systemMessageId,
        }),
      );
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}
