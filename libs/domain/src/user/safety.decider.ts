import {
  CONTACTS_PER_EVENT,
  MAX_BLOCKED_USERS,
  MAX_REPORTED_MESSAGES,
  type AccountDeleted,
  type ContactsRemoved,
  type DeviceRemoved,
  type ProfileAvatarChanged,
  type ReportedMessage,
  type ReportReason,
  type ReportTarget,
  type UserBlocked,
  type UserEvent,
  type UserReported,
  type UserUnblocked,
} from '#libs/events';
import { envelope } from '../envelope.js';
import { accept, reject, type CommandContext, type Decision } from '../errors.js';
import type { UserState } from './user.state.js';

export interface BlockUser {
  readonly type: 'BlockUser';
  readonly blockedUserId: string;
}

export interface UnblockUser {
  readonly type: 'UnblockUser';
  readonly blockedUserId: string;
}

/**
 * A report to the operators. The gateway gathers the facts: the messages (copied from the timeline for a
 * plaintext conversation, as the client sent them for an E2E one) and the accounts the report is against.
 */
export interface ReportUser {
  readonly type: 'ReportUser';
  readonly reportId: string;
  readonly target: ReportTarget;
  readonly reportedUserIds: readonly string[];
  readonly reason: ReportReason;
  readonly comment?: string;
  readonly messages: readonly ReportedMessage[];
  /** Also block the reported account (the target user; a conversation's other member in a 1:1). */
  readonly block?: string;
}

/** The account asks to be deleted: devices, contacts and avatar go now; the personal data is shredded next. */
export interface DeleteAccount {
  readonly type: 'DeleteAccount';
  /** Where the account sits among its phone number's accounts (see AccountDeleted). */
  readonly baseUserId: string;
  readonly generation: number;
}

export type SafetyCommand = BlockUser | UnblockUser | ReportUser | DeleteAccount;

function block(
  state: Extract<UserState, { status: 'active' }>,
  blockedUserId: string,
  ctx: CommandContext,
): Decision<UserEvent> {
  if (blockedUserId === state.userId) return reject('VALIDATION_FAILED', 'one cannot block oneself');
  if (state.blocked.has(blockedUserId)) return accept(); // blocked already: nothing to record
  if (state.blocked.size >= MAX_BLOCKED_USERS)
    return reject('BLOCK_LIMIT', `at most ${MAX_BLOCKED_USERS} blocked accounts`, {
      limit: MAX_BLOCKED_USERS,
    });
  return accept(envelope<UserBlocked>(ctx, 'UserBlocked', { userId: state.userId, blockedUserId }));
}

export function decideSafety(
  command: SafetyCommand,
  state: UserState,
  ctx: CommandContext,
): Decision<UserEvent> {
  if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
  switch (command.type) {
    case 'BlockUser':
      return block(state, command.blockedUserId, ctx);
    case 'UnblockUser':
      if (!state.blocked.has(command.blockedUserId)) return accept();
      return accept(
        envelope<UserUnblocked>(ctx, 'UserUnblocked', {
          userId: state.userId,
          blockedUserId: command.blockedUserId,
        }),
      );
    case 'ReportUser': {
      if (command.messages.length > MAX_REPORTED_MESSAGES)
        return reject('VALIDATION_FAILED', `a report carries at most ${MAX_REPORTED_MESSAGES} messages`);
      if (command.target.kind === 'user' && command.target.userId === state.userId)
        return reject('VALIDATION_FAILED', 'one cannot report oneself');
      const reportedUserIds = [...new Set(command.reportedUserIds)].filter((u) => u !== state.userId);
      const blocking = command.block !== undefined ? block(state, command.block, ctx) : accept<UserEvent>();
      if (!blocking.ok) return blocking;
      return accept(
        envelope<UserReported>(ctx, 'UserReported', {
          userId: state.userId,
          reportId: command.reportId,
          target: command.target,
          reportedUserIds,
          reason: command.reason,
          ...(command.comment !== undefined && command.comment !== '' ? { comment: command.comment } : {}),
          messages: [...command.messages],
          alsoBlocked: command.block !== undefined,
        }),
        ...blocking.events,
      );
    }
    case 'DeleteAccount': {
      const { userId } = state;
      const events: UserEvent[] = [...state.devices.keys()].map((deviceId) =>
        envelope<DeviceRemoved>(ctx, 'DeviceRemoved', { userId, deviceId }),
      );
      const contacts = [...state.contacts];
      for (let i = 0; i < contacts.length; i += CONTACTS_PER_EVENT)
        events.push(
          envelope<ContactsRemoved>(ctx, 'ContactsRemoved', {
            userId,
            contactIds: contacts.slice(i, i + CONTACTS_PER_EVENT),
          }),
        );
      // The projector deletes the replaced avatar object on this event.
      if (state.profile.avatarId !== undefined)
        events.push(
          envelope<ProfileAvatarChanged>(ctx, 'ProfileAvatarChanged', {
            userId,
            previousAvatarId: state.profile.avatarId,
          }),
        );
      events.push(
        envelope<AccountDeleted>(ctx, 'AccountDeleted', {
          userId,
          deletedAt: ctx.now.toISOString(),
          baseUserId: command.baseUserId,
          generation: command.generation,
        }),
      );
      return accept(...events);
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}
