import type { ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { ConversationCommandHandler } from '#libs/nats';
import type { PresenceConfig } from '../../gateway.config.js';
import { PresenceBus } from '../../presence/presence-bus.js';
import { PRESENCE_CONFIG } from '../../tokens.js';
import { TypingDto } from '../frames.dto.js';
import { requireMember } from '../../conversations/member-access.js';
import type { Requests } from '#libs/protocol';
import { FrameCommand, FrameHandler } from '../frame-handler.js';

/**
 * Typing and recording indicators: ephemeral over core NATS, never stored. Receivers drop an indicator
 * after `expiresInMs` unless it is refreshed, so a lost "stopped" ends by itself. Typing has its own rate
 * limit, so a flood of them is refused without using up the device's budget for other frames.
 */
export class TypingCommand extends FrameCommand<TypingDto, Requests['typing.set']['result']> {}

@FrameHandler(TypingCommand, { 'typing.set': TypingDto })
export class TypingHandler implements ICommandHandler<TypingCommand> {
  constructor(
    private readonly conversations: ConversationCommandHandler,
    private readonly bus: PresenceBus,
    @Inject(PRESENCE_CONFIG) private readonly config: Readonly<PresenceConfig>,
  ) {}

  async execute({ conn, data }: TypingCommand): Promise<Record<string, never>> {
    const { state } = await this.conversations.load(data.conversationId);
    requireMember(state, conn.userId);
    this.bus.publishTyping({
      conversationId: data.conversationId,
      userId: conn.userId,
      deviceId: conn.deviceId,
      state: data.state,
      expiresInMs: this.config.TYPING_TTL_MS,
    });
    return {};
  }
}
