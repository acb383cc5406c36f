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
import { decideLocationContent, type LocationContentInput } from './location-content.js';
import { decideE2eContent, type E2eContentInput } from './e2e-content.js';
import { decideSecurityCode, type NoteSecurityCodeChanged } from './security-code.js';
import { envelope } from '../envelope.js';
import type { GroupCommand } from './group.commands.js';
import { decideGroup } from './group.decider.js';
import { decideMessageAction, type MessageActionCommand } from './message-actions.decider.js';
import { decideDisappearing, expiryOf, type DisappearingCommand } from './disappearing.decider.js';

export interface CreateDirectConversation {
  readonly type: 'CreateDirectConversation';
  readonly createdBy: string;
  readonly peerUserId: string;
  /** End-to-end encrypted (the gateway's default: both users published keys). */
  readonly e2e?: boolean;
}

export interface SendMessage {
  readonly type: 'SendMessage';
  readonly messageId: string;
  readonly senderUserId: string;
  readonly senderDeviceId: string;
  readonly clientMessageId: string;
  readonly content:
    | { readonly type: 'text'; readonly text: string }
    | MediaContentInput
    | LocationContentInput
    | E2eContentInput;
  readonly replyTo?: string;
  /** The conversation of replyTo when it is another one (a private reply to a group message). */
  readonly replyToConversationId?: string;
  /** Mentioned user ids: each must be a member. */
  readonly mentions?: readonly string[];
  readonly maxTextChars: number;
  /** A forwarded copy: the hops it has made (decideForward). */
  readonly forwardCount?: number;
  /** Members who blocked the sender (a fact the gateway looked up); in a 1:1 conversation they never get it. */
  readonly blockedBy?: readonly string[];
}

/** Devices' acknowledgements of messages of one conversation, gathered by a gateway in one flush. */
export interface AcknowledgeDelivery {
  readonly type: 'AcknowledgeDelivery';
  readonly deliveries: ReadonlyArray<{
    readonly userId: string;
    readonly deviceId: string;
    readonly messageIds: readonly string[];
  }>;
}

export interface MarkRead {
  readonly type: 'MarkRead';
  readonly userId: string;
  readonly deviceId: string;
  readonly upToMessageId: string;
}

export type ConversationCommand =
  | CreateDirectConversation
  | SendMessage
  | AcknowledgeDelivery
  | MarkRead
  | GroupCommand
  | MessageActionCommand
  | NoteSecurityCodeChanged
  | DisappearingCommand;

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
          ...(command.e2e ? { e2e: true } : {}),
        }),
      );
    }
    case 'SendMessage': {
      if (state.status !== 'active' || !isMember(state, command.senderUserId))
        return reject('NOT_A_MEMBER', NOT_A_MEMBER_MESSAGE);
      if (state.e2e && command.content.type !== 'e2e')
        return reject('E2E_REQUIRED', 'this conversation is end-to-end encrypted: send e2e content');
      const content =
        command.content.type === 'e2e'
          ? decideE2eContent(command.content, state, {
              userId: command.senderUserId,
              deviceId: command.senderDeviceId,
            })
          : decideContent(command, command.content, ctx.now);
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
          ...(command.forwardCount !== undefined ? { forwardCount: command.forwardCount } : {}),
          ...withheld(state, command),
          // The timer it is sent under stays its own, whatever the conversation's becomes.
          ...expiryOf(state, ctx.now),
          sentAt: ctx.now.toISOString(),
        }),
      );
    }
    case 'AcknowledgeDelivery': {
      // A member removed since the flush began loses only their own part, not the others'.
      const deliveries = command.deliveries.filter((d) => isMember(state, d.userId));
      if (state.status !== 'active' || deliveries.length === 0)
        return reject('NOT_A_MEMBER', NOT_A_MEMBER_MESSAGE);
      return accept(
        envelope<MessageDelivered>(ctx, 'MessageDelivered', {
          conversationId: state.conversationId,
          deliveries: deliveries.map((d) => ({
            userId: d.userId,
            deviceId: d.deviceId,
            messageIds: [...d.messageIds],
          })),
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
    case 'EditMessage':
    case 'DeleteMessage':
    case 'HideMessage':
    case 'ReactToMessage':
      return decideMessageAction(command, state, ctx);
    case 'NoteSecurityCodeChanged':
      return decideSecurityCode(command, state, ctx);
    case 'SetDisappearingTimer':
    case 'ExpireMessage':
      return decideDisappearing(command, state, ctx);
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

function decideContent(
  command: SendMessage,
  content: { readonly type: 'text'; readonly text: string } | MediaContentInput | LocationContentInput,
  now: Date,
): { ok: true; content: MessageSent['data']['content'] } | { ok: false; error: DomainError } {
  if (content.type === 'media') return decideMediaContent(content, command.maxTextChars);
  if (content.type === 'location') return decideLocationContent(content, now);
  const text = content.text;
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

/**
 * Who a direct message is withheld from: the other member, when they blocked the sender. The sender
 * still gets SENT (one tick) and nothing tells them. Groups withhold nothing: a blocked member's group
 * messages still reach everyone (WhatsApp's rule); blocking there keeps them from adding the blocker.
 */
function withheld(state: ConversationState, command: SendMessage): { withheldFrom?: string[] } {
  if (state.status !== 'active' || state.kind !== 'direct' || !command.blockedBy) return {};
  const from = command.blockedBy.filter((u) => u !== command.senderUserId && state.members.has(u));
  return from.length > 0 ? { withheldFrom: from } : {};
}
