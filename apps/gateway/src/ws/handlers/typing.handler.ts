import { Inject, Injectable } from '@nestjs/common';
import { ConversationRepository } from '../../conversations/conversation.repository.js';
import type { PresenceConfig } from '../../gateway.config.js';
import { PresenceBus } from '../../presence/presence-bus.js';
import { PRESENCE_CONFIG } from '../../tokens.js';
import type { DeviceConnection } from '../device-connection.js';
import { TypingDto } from '../frames.dto.js';
import type { RequestHandler } from './request-handler.js';
import { requireMember } from '../../conversations/member-access.js';

/**
 * Typing and recording indicators: ephemeral over core NATS, never stored. Receivers drop an indicator
 * after `expiresInMs` unless it is refreshed, so a lost "stopped" ends by itself. Typing has its own rate
 * limit, so a flood of them is refused without using up the device's budget for other frames.
 */
@Injectable()
export class TypingHandler implements RequestHandler<'typing.set'> {
  readonly type = 'typing.set' as const;
  readonly dto = TypingDto;

  constructor(
    private readonly conversations: ConversationRepository,
    private readonly bus: PresenceBus,
    @Inject(PRESENCE_CONFIG) private readonly config: Readonly<PresenceConfig>,
  ) {}

  async handle(conn: DeviceConnection, data: TypingDto): Promise<Record<string, never>> {
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
