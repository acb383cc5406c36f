import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { UserCommand, UserState } from '#libs/domain';
import type { UserEvent } from '#libs/events';
import { UserCommandHandler } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';
import { accepted } from '../http/api-error.js';

export interface UserDecided {
  readonly state: UserState;
  readonly version: number;
  readonly events: readonly UserEvent[];
}

/** An HTTP request's change to a user aggregate (account, devices, push tokens, notification settings). */
export class DecideUserCommand extends Command<UserDecided> {
  constructor(
    readonly userId: string,
    readonly command: UserCommand,
  ) {
    super();
  }
}

/** Runs it through the generic aggregate handler, at the clock's time; a rejection becomes an ApiError. */
@CommandHandler(DecideUserCommand)
export class DecideUserHandler implements ICommandHandler<DecideUserCommand, UserDecided> {
  constructor(
    private readonly users: UserCommandHandler,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ userId, command }: DecideUserCommand): Promise<UserDecided> {
    const { state, version, events } = accepted(
      await this.users.handle(userId, command, { now: this.clock.now() }),
    );
    return { state, version, events };
  }
}
