import type {
  ConversationCreated,
  ConversationEvent,
  MessageDelivered,
  MessageRead,
  MessageSent,
} from '#libs/events';
import { accept, reject, rejected, type CommandContext, type Decision, type DomainError } from '../errors.js';
import {
  directConversationId,
  isMember,
  NOT_A_MEMBER_MESSAGE,
  type ConversationState,
} from './conversation.state.js';
import { decideMediaContent, type MediaContentInput } from './media-content.js';
import { envelope } from '../envelope.js';
import type { GroupCommand } from './group.commands.js';
import { decideGroup } from './group.decider.js';

export interface CreateDirectConversation {
  readonly type: 'CreateDirectConversation';
  readonly createdBy: string;
  readonly peerUserId: string;
}

export interface SendMessage {
  readonly type: 'SendMessage';
  readonly messageId: string;
  readonly senderUserId: string;
  readonly senderDeviceId: string;
  readonly clientMessageId: string;
  readonly content: { readonly type: 'text'; readonly text: string } | MediaContentInput;
  readonly replyTo?: string;
  /** The conversation of replyTo when it is another one (a private reply to a group message). */
  readonly replyToConversationId?: string;
  /** Mentioned user ids: each must be a member. */
  readonly mentions?: readonly string[];
  readonly maxTextChars: number;
}

export interface AcknowledgeDelivery {
  readonly type: 'AcknowledgeDelivery';
  readonly userId: string;
  readonly deviceId: string;
  readonly messageIds: readonly string[];
}

export interface MarkRead {
  readonly type: 'MarkRead';
  readonly userId: string;
  readonly deviceId: string;
  readonly upToMessageId: string;
}

export type ConversationCommand =
  CreateDirectConversation | SendMessage | AcknowledgeDelivery | MarkRead | GroupCommand;

export function decideConversation(
  command: ConversationCommand,
  state: ConversationState,
  ctx: CommandContext,
): Decision<ConversationEvent> {
  switch (command.type) {
    case 'CreateDirectConversation': {
      if (command.createdBy === command.peerUserId) {
        return reject('VALIDATION_FAILED', 'a direct conversation needs two different users');
      }
      if (state.status === 'active') return reject('ALREADY_EXISTS', 'the conversation exists');
      return accept(
        envelope<ConversationCreated>(ctx, 'ConversationCreated', {
          conversationId: directConversationId(command.createdBy, command.peerUserId),
          kind: 'direct',
          createdBy: command.createdBy,
          members: [
            { userId: command.createdBy, role: 'member' },
            { userId: command.peerUserId, role: 'member' },
          ],
        }),
      );
    }
    case 'SendMessage': {
      if (state.status !== 'active' || !isMember(state, command.senderUserId))
        return reject('NOT_A_MEMBER', NOT_A_MEMBER_MESSAGE);
      const content = decideContent(command);
      if (!content.ok) return content;
      if (state.kind === 'group' && state.settings.sendMessages === 'admins') {
        if (state.members.get(command.senderUserId) !== 'admin')
          return reject('NOT_AN_ADMIN', 'only admins may send messages in this group');
      }
      const mentions = [...new Set(command.mentions ?? [])];
      const strangers = mentions.filter((u) => !state.members.has(u));
      if (strangers.length > 0)
        return reject('VALIDATION_FAILED', `mentions must be members: ${strangers.join(', ')}`, {
          userIds: strangers,
        });
      return accept(
        envelope<MessageSent>(ctx, 'MessageSent', {
          conversationId: state.conversationId,
          messageId: command.messageId,
          senderUserId: command.senderUserId,
          senderDeviceId: command.senderDeviceId,
          clientMessageId: command.clientMessageId,
          membershipVersion: state.membershipVersion,
          content: content.content,
          ...(command.replyTo ? { replyTo: command.replyTo } : {}),
          ...(command.replyTo && command.replyToConversationId
            ? { replyToConversationId: command.replyToConversationId }
            : {}),
          ...(mentions.length > 0 ? { mentions } : {}),
          sentAt: ctx.now.toISOString(),
        }),
      );
    }
    case 'AcknowledgeDelivery': {
      if (state.status !== 'active' || !isMember(state, command.userId))
        return reject('NOT_A_MEMBER', NOT_A_MEMBER_MESSAGE);
      return accept(
        envelope<MessageDelivered>(ctx, 'MessageDelivered', {
          conversationId: state.conversationId,
          userId: command.userId,
          deviceId: command.deviceId,
          messageIds: [...command.messageIds],
          deliveredAt: ctx.now.toISOString(),
        }),
      );
    }
    case 'MarkRead': {
      if (state.status !== 'active' || !isMember(state, command.userId))
        return reject('NOT_A_MEMBER', NOT_A_MEMBER_MESSAGE);
      return accept(
        envelope<MessageRead>(ctx, 'MessageRead', {
          conversationId: state.conversationId,
          userId: command.userId,
          deviceId: command.deviceId,
          upToMessageId: command.upToMessageId,
          readAt: ctx.now.toISOString(),
        }),
      );
    }
    case 'CreateGroup':
    case 'AddGroupMembers':
    case 'RemoveGroupMember':
    case 'LeaveGroup':
    case 'PromoteGroupAdmin':
    case 'DemoteGroupAdmin':
    case 'ChangeGroupInfo':
    case 'ChangeGroupSettings':
      return decideGroup(command, state, ctx);
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

function decideContent(
  command: SendMessage,
): { ok: true; content: MessageSent['data']['content'] } | { ok: false; error: DomainError } {
  if (command.content.type === 'media') return decideMediaContent(command.content, command.maxTextChars);
  const text = command.content.text;
  const chars = [...text].length;
  if (chars > command.maxTextChars) {
    return rejected(
      reject('MESSAGE_TOO_LARGE', `text is ${chars} characters; the limit is ${command.maxTextChars}`, {
        limit: command.maxTextChars,
      }),
    );
  }
  if (text.trim().length === 0) return rejected(reject('VALIDATION_FAILED', 'text must not be blank'));
  return { ok: true, content: { type: 'text', text } };
}
