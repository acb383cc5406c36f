import { Injectable } from '@nestjs/common';
import type { UserCommand, UserState } from '#libs/domain';
import type { UserEvent } from '#libs/events';
import { ConcurrencyError, UserAggregates } from '#libs/nats';
import { ApiError } from '../http/api-error.js';

/** The user aggregates as the API sees them: a rejection or a lasting conflict becomes an ApiError. */
@Injectable()
export class UserRepository {
  constructor(private readonly users: UserAggregates) {}

  exists(userId: string): Promise<boolean> {
    return this.users.exists(userId);
  }

  load(userId: string): Promise<{ state: UserState; version: number }> {
    return this.users.load(userId);
  }

  async execute(
    userId: string,
    command: UserCommand,
    now: Date,
  ): Promise<{ state: UserState; events: readonly UserEvent[]; version: number }> {
    try {
      const result = await this.users.execute(userId, command, now);
      if (!result.ok) throw ApiError.fromDomain(result.error);
      return result;
    } catch (err) {
      if (err instanceof ConcurrencyError)
        throw new ApiError('UNAVAILABLE', 'the account is busy; try again');
      throw err;
    }
  }
}
