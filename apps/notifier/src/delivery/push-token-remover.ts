import { Inject, Injectable } from '@nestjs/common';
import type { PushToken } from '#libs/events';
import { UserCommandHandler } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';

/**
 * Removes a token the provider refused, through the user aggregate (event PushTokenRemoved, reason
 * invalid). Only that exact token goes: one the device registered meanwhile stays.
 */
@Injectable()
export class PushTokenRemover {
  constructor(
    private readonly users: UserCommandHandler,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** True when an event was appended; false when the token was already gone or replaced. */
  async remove(userId: string, deviceId: string, token: PushToken): Promise<boolean> {
    const result = await this.users.handle(
      userId,
      { type: 'RemovePushToken', deviceId, provider: token.provider, reason: 'invalid', ifToken: token },
      { now: this.clock.now() },
    );
    return result.ok && result.events.length > 0;
  }
}
