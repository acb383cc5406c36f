import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { decideUser, evolveUser, initialUserState, type UserCommand, type UserState } from '#libs/domain';
import { userSubject, type ChatEvent, type UserEvent } from '#libs/events';
import { CHAT_EVENT_STORE, ConcurrencyError, EventStore, NatsClient, userStreamName } from '#libs/nats';
import { ApiError } from '../http/api-error.js';

const MAX_ATTEMPTS = 5;

/** Loads a user aggregate from its subject and appends the events its decider accepts. */
@Injectable()
export class UserRepository {
  constructor(
    private readonly nats: NatsClient,
    @Inject(CHAT_EVENT_STORE) private readonly store: EventStore<ChatEvent>,
  ) {}

  /** Whether an account exists: one direct get of its subject's last event, cheap enough for a whole group. */
  async exists(userId: string): Promise<boolean> {
    return (
      (await this.store.lastSequence(
        userStreamName(this.nats.topology),
        userSubject(this.nats.topology, userId),
      )) > 0
    );
  }

  async load(userId: string): Promise<{ state: UserState; version: number }> {
    const events = await this.store.read(
      userStreamName(this.nats.topology),
      userSubject(this.nats.topology, userId),
    );
    let state = initialUserState();
    for (const e of events) state = evolveUser(state, e.event as UserEvent);
    return { state, version: events.at(-1)?.streamSequence ?? 0 };
  }

  /** Decides and appends with optimistic concurrency on the user's subject, retrying on a conflict. */
  async execute(
    userId: string,
    command: UserCommand,
    now: Date,
  ): Promise<{ state: UserState; events: readonly UserEvent[]; version: number }> {
    const subject = userSubject(this.nats.topology, userId);
    for (let attempt = 1; ; attempt++) {
      let { state, version } = await this.load(userId);
      const decision = decideUser(command, state, { now, newEventId: randomUUID });
      if (!decision.ok) throw ApiError.fromDomain(decision.error);
      try {
        for (const event of decision.events) {
          version = (await this.store.append(subject, event, { expectedLastSubjectSequence: version })).seq;
          state = evolveUser(state, event);
        }
        return { state, events: decision.events, version };
      } catch (err) {
        if (err instanceof ConcurrencyError && attempt < MAX_ATTEMPTS) continue;
        if (err instanceof ConcurrencyError)
          throw new ApiError('UNAVAILABLE', 'the account is busy; try again');
        throw err;
      }
    }
  }
}
