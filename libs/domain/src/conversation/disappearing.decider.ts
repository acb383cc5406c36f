import {
  contentKeyFor,
  type ConversationEvent,
  type DisappearingTimer,
  type DisappearingTimerChanged,
  type MessageExpired,
} from '#libs/events';
import { envelope } from '../envelope.js';
import { accept, reject, type CommandContext, type Decision } from '../errors.js';
import { isMember, NOT_A_MEMBER_MESSAGE, type ConversationState } from './conversation.state.js';

/**
 * Turns disappearing messages on or off. Any member of a direct chat may; in a group, whoever may edit
 * the group info (its `editInfo` setting). `seconds` is what the timer lasts: the gateway maps the
 * named timer to it (a test deployment may shorten it).
 */
export interface SetDisappearingTimer {
  readonly type: 'SetDisappearingTimer';
  readonly by: string;
  readonly timer: DisappearingTimer;
  readonly seconds: number;
  readonly systemMessageId: string;
}

/**
 * A message's time ran out: issued by the projector's expiry sweeper with the expiry recorded when the
 * message was projected (its MessageSent's expiresAt).
 */
export interface ExpireMessage {
  readonly type: 'ExpireMessage';
  readonly messageId: string;
  readonly expiresAt: string;
}

export type DisappearingCommand = SetDisappearingTimer | ExpireMessage;

/** What a message sent now carries under the conversation's timer: nothing when it is off. */
export function expiryOf(state: ConversationState, now: Date): { expiresAt?: string; contentKey?: string } {
  if (state.status !== 'active' || state.disappearing.seconds <= 0) return {};
  const expiresAt = new Date(now.getTime() + state.disappearing.seconds * 1000);
  return {
    expiresAt: expiresAt.toISOString(),
    contentKey: contentKeyFor(expiresAt, state.disappearing.seconds),
  };
}

export function decideDisappearing(
  command: DisappearingCommand,
  state: ConversationState,
  ctx: CommandContext,
): Decision<ConversationEvent> {
  switch (command.type) {
    case 'SetDisappearingTimer': {
      if (state.status !== 'active' || !isMember(state, command.by))
        return reject('NOT_A_MEMBER', NOT_A_MEMBER_MESSAGE);
      if (
        state.kind === 'group' &&
        state.settings.editInfo === 'admins' &&
        state.members.get(command.by) !== 'admin'
      )
        return reject('NOT_AN_ADMIN', 'only admins may change disappearing messages in this group');
      if ((command.timer === 'off') !== (command.seconds === 0) || command.seconds < 0)
        return reject(
          'VALIDATION_FAILED',
          'a timer that is on lasts a positive number of seconds; off lasts 0',
        );
      return accept(
        envelope<DisappearingTimerChanged>(ctx, 'DisappearingTimerChanged', {
          conversationId: state.conversationId,
          changedBy: command.by,
          timer: command.timer,
          seconds: command.seconds,
          systemMessageId: command.systemMessageId,
        }),
      );
    }
    case 'ExpireMessage': {
      if (state.status !== 'active') return reject('NOT_FOUND', 'no such conversation');
      if (ctx.now.getTime() < new Date(command.expiresAt).getTime())
        return reject('VALIDATION_FAILED', 'the message has not expired yet', {
          expiresAt: command.expiresAt,
        });
      return accept(
        envelope<MessageExpired>(ctx, 'MessageExpired', {
          conversationId: state.conversationId,
          messageId: command.messageId,
          expiredAt: ctx.now.toISOString(),
        }),
      );
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}
