import { randomUUID } from 'node:crypto';
import {
  decideUser,
  evolveUser,
  initialUserState,
  type DomainError,
  type UserCommand,
  type UserState,
} from '#libs/domain';
import { userSubject, type ChatEvent, type UserEvent } from '#libs/events';
import { ConcurrencyError, type EventStore } from './event-store.js';
import type { NatsClient } from './nats-client.js';
import { userStreamName } from './stream-topology.js';

const MAX_ATTEMPTS = 5;

export type UserExecution =
  | {
      readonly ok: true;
      readonly state: UserState;
      readonly events: readonly UserEvent[];
      readonly version: number;
    }
  | { readonly ok: false; readonly error: DomainError };

/**
 * User aggregates on their `chat.user.<id>` subjects: folded from the log, decided by the pure decider,
 * appended with optimistic concurrency on the subject and re-decided on a conflict. Shared by the
 * gateway (accounts, devices, settings) and the notifier (removing a token a provider refused).
 */
export class UserAggregates {
  constructor(
    private readonly nats: NatsClient,
    private readonly store: EventStore<ChatEvent>,
  ) {}

  /** Whether an account exists: one direct get of its subject's last event. */
  async exists(userId: string): Promise<boolean> {
    return (await this.store.lastSequence(userStreamName(this.nats.topology), this.subject(userId))) > 0;
  }

  async load(userId: string): Promise<{ state: UserState; version: number }> {
    const events = await this.store.read(userStreamName(this.nats.topology), this.subject(userId));
    let state = initialUserState();
    for (const e of events) state = evolveUser(state, e.event as UserEvent);
    return { state, version: events.at(-1)?.streamSequence ?? 0 };
  }

  /** A rejection comes back as a value; a conflict that outlasts the retries throws ConcurrencyError. */
  async execute(userId: string, command: UserCommand, now: Date): Promise<UserExecution> {
    for (let attempt = 1; ; attempt++) {
      let { state, version } = await this.load(userId);
      const decision = decideUser(command, state, { now, newEventId: randomUUID });
      if (!decision.ok) return decision;
      try {
        for (const event of decision.events) {
          version = (
            await this.store.append(this.subject(userId), event, { expectedLastSubjectSequence: version })
          ).seq;
          state = evolveUser(state, event);
        }
        return { ok: true, state, events: decision.events, version };
      } catch (err) {
        if (err instanceof ConcurrencyError && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  private subject(userId: string): string {
    return userSubject(this.nats.topology, userId);
  }
}
