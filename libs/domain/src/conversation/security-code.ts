import type { ConversationEvent, SecurityCodeChanged } from '#libs/events';
import { envelope } from '../envelope.js';
import { accept, reject, type CommandContext, type Decision } from '../errors.js';
import { isMember, NOT_A_MEMBER_MESSAGE, type ConversationState } from './conversation.state.js';

/** Records in a conversation that a member's identity key changed (after their IdentityKeyChanged). */
export interface NoteSecurityCodeChanged {
  readonly type: 'NoteSecurityCodeChanged';
  readonly userId: string;
  readonly systemMessageId: string;
}

export function decideSecurityCode(
  command: NoteSecurityCodeChanged,
  state: ConversationState,
  ctx: CommandContext,
): Decision<ConversationEvent> {
  if (state.status !== 'active' || !isMember(state, command.userId))
    return reject('NOT_A_MEMBER', NOT_A_MEMBER_MESSAGE);
  return accept(
    envelope<SecurityCodeChanged>(ctx, 'SecurityCodeChanged', {
      conversationId: state.conversationId,
      userId: command.userId,
      systemMessageId: command.systemMessageId,
    }),
  );
}
