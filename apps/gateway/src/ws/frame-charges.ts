import { Inject, Injectable } from '@nestjs/common';
import type { RequestType } from '#libs/protocol';
import type { LimitsConfig, MessagingConfig, PresenceConfig } from '../gateway.config.js';
import { LIMITS_CONFIG, MESSAGING_CONFIG, PRESENCE_CONFIG } from '../tokens.js';
import { CREATES_CONVERSATION, frameCost } from './frame-costs.js';
import { perHour, type Budget, type Charge } from './rate-limiter.js';

/**
 * Which budgets a frame is charged to. Every frame costs its device and its account (all their sockets,
 * on every gateway); typing indicators have a budget of their own instead, so a flood of them leaves
 * other frames alone; frames that make a conversation also count against an hourly allowance.
 */
@Injectable()
export class FrameCharges {
  constructor(
    @Inject(MESSAGING_CONFIG) private readonly messaging: Readonly<MessagingConfig>,
    @Inject(LIMITS_CONFIG) private readonly limits: Readonly<LimitsConfig>,
    @Inject(PRESENCE_CONFIG) private readonly presence: Readonly<PresenceConfig>,
  ) {}

  of(id: { userId: string; deviceId: string }, type: RequestType, data: unknown): Charge[] {
    if (type === 'typing.set') return [{ budget: this.typing(id), cost: 1 }];
    const cost = frameCost(type, data);
    const charges: Charge[] = [
      { budget: this.device(id), cost },
      { budget: this.account(id.userId), cost },
    ];
    if (CREATES_CONVERSATION.has(type)) charges.push({ budget: this.creations(id.userId), cost: 1 });
    return charges;
  }

  private device(id: { userId: string; deviceId: string }): Budget {
    return {
      key: `rl:dev:${id.userId}:${id.deviceId}`,
      ratePerSecond: this.messaging.RATE_LIMIT_FRAMES_PER_SECOND,
      burst: this.messaging.RATE_LIMIT_BURST,
      what: 'frames of this device',
    };
  }

  private account(userId: string): Budget {
    return {
      key: `rl:acct:${userId}`,
      ratePerSecond: this.limits.RATE_LIMIT_ACCOUNT_PER_SECOND,
      burst: this.limits.RATE_LIMIT_ACCOUNT_BURST,
      what: 'frames of this account',
    };
  }

  private typing(id: { userId: string; deviceId: string }): Budget {
    return {
      key: `rl:typing:${id.userId}:${id.deviceId}`,
      ratePerSecond: this.presence.TYPING_RATE_PER_SECOND,
      burst: this.presence.TYPING_BURST,
      what: 'typing indicators of this device',
    };
  }

  private creations(userId: string): Budget {
    return perHour(
      `rl:create:${userId}`,
      this.limits.CONVERSATIONS_PER_HOUR,
      'conversations this account creates or opens per hour',
    );
  }
}
