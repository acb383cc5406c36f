import type { ConversationArchived, ConversationPinned, MessageStarred, UserEvent } from '#libs/events';
import { envelope } from '../envelope.js';
import { accept, reject, type CommandContext, type Decision } from '../errors.js';
import type { UserState } from './user.state.js';

/** Pinned conversations a user may have at once. */
export const MAX_PINNED = 3;

/**
 * The user's own view of their chats. The command side has checked that the user is a member of the
 * conversation (and that the starred message is in it): the user aggregate does not hold memberships.
 */
export interface ArchiveConversation {
  readonly type: 'ArchiveConversation';
  readonly conversationId: string;
  readonly archived: boolean;
}

export interface PinConversation {
  readonly type: 'PinConversation';
  readonly conversationId: string;
  readonly pinned: boolean;
}

export interface StarMessage {
  readonly type: 'StarMessage';
  readonly conversationId: string;
  readonly messageId: string;
  readonly starred: boolean;
}

export type ConversationPrefsCommand = ArchiveConversation | PinConversation | StarMessage;

export function decideConversationPrefs(
  command: ConversationPrefsCommand,
  state: UserState,
  ctx: CommandContext,
): Decision<UserEvent> {
  if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
  const { userId } = state;
  switch (command.type) {
    case 'ArchiveConversation':
      return accept(
        envelope<ConversationArchived>(ctx, 'ConversationArchived', {
          userId,
          conversationId: command.conversationId,
          archived: command.archived,
        }),
      );
    case 'PinConversation': {
      const pinned = state.pinned.has(command.conversationId);
      if (pinned === command.pinned) return accept(); // as asked already: nothing to record
      if (command.pinned && state.pinned.size >= MAX_PINNED)
        return reject('PIN_LIMIT', `at most ${MAX_PINNED} conversations are pinned`, { limit: MAX_PINNED });
      return accept(
        envelope<ConversationPinned>(ctx, 'ConversationPinned', {
          userId,
          conversationId: command.conversationId,
          pinned: command.pinned,
        }),
      );
    }
    case 'StarMessage':
      return accept(
        envelope<MessageStarred>(ctx, 'MessageStarred', {
          userId,
          conversationId: command.conversationId,
          messageId: command.messageId,
          starred: command.starred,
        }),
      );
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}
