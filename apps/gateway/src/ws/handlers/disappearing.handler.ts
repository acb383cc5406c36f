import type { ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { DISAPPEARING_SECONDS, type DisappearingTimer } from '#libs/events';
import { ConversationCommandHandler } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';
import type { DisappearingResult, Requests } from '#libs/protocol';
import type { MessagingConfig } from '../../gateway.config.js';
import { accepted } from '../../http/api-error.js';
import { MessageIdService } from '../../ids/message-id.service.js';
import { MESSAGING_CONFIG } from '../../tokens.js';
import { SetDisappearingDto } from '../disappearing.dto.js';
import { FrameCommand, FrameHandler } from '../frame-handler.js';
import { sendDedupId } from './send-message.handler.js';

export class SetDisappearingCommand extends FrameCommand<
  SetDisappearingDto,
  Requests['conversation.set_disappearing']['result']
> {}

/**
 * Turns disappearing messages on or off (issue 19): a DisappearingTimerChanged on the conversation's
 * meta subject, decided by the domain (NOT_A_MEMBER, NOT_AN_ADMIN where the group lets only admins
 * edit its info), shown as a system message. The append's Nats-Msg-Id comes from the device's
 * clientActionId, so a resend gets the stored answer.
 */
@FrameHandler(SetDisappearingCommand, { 'conversation.set_disappearing': SetDisappearingDto })
export class SetDisappearingHandler implements ICommandHandler<SetDisappearingCommand> {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly ids: MessageIdService,
    @Inject(MESSAGING_CONFIG) private readonly config: Readonly<MessagingConfig>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** What a named timer lasts here: its duration, or a test deployment's short one. */
  private secondsOf(timer: DisappearingTimer): number {
    if (timer === 'off') return 0;
    return this.config.DISAPPEARING_TEST_SECONDS > 0
      ? this.config.DISAPPEARING_TEST_SECONDS
      : DISAPPEARING_SECONDS[timer];
  }

  async execute({ conn, data }: SetDisappearingCommand): Promise<DisappearingResult> {
    const { events, acks } = accepted(
      await this.conversations.handle(
        data.conversationId,
        {
          type: 'SetDisappearingTimer',
          by: conn.userId,
          timer: data.timer,
          seconds: this.secondsOf(data.timer),
          systemMessageId: this.ids.next(),
        },
        {
          now: this.clock.now(),
          msgId: `${sendDedupId(conn.userId, conn.deviceId, data.clientActionId)}.disappearing`,
        },
      ),
    );
    const ack = acks[0]!;
    const event = ack.duplicate ? await this.conversations.storedEvent(ack.stream, ack.seq) : events[0];
    if (event?.type !== 'DisappearingTimerChanged')
      throw new Error(`expected DisappearingTimerChanged, got ${event?.type ?? 'nothing'}`);
    return {
      conversationId: data.conversationId,
      timer: event.data.timer,
      seconds: event.data.seconds,
      systemMessageId: event.data.systemMessageId,
      duplicate: ack.duplicate,
    };
  }
}
