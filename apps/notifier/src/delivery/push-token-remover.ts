import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { decideUser, evolveUser, initialUserState } from '#libs/domain';
import { userSubject, type ChatEvent, type PushToken, type UserEvent } from '#libs/events';
import { CHAT_EVENT_STORE, ConcurrencyError, EventStore, NatsClient, userStreamName } from '#libs/nats';
import { CLOCK, type Clock } from '#libs/platform';

const MAX_ATTEMPTS = 5;

/**
 * Removes a token the provider refused, through the user aggregate (event PushTokenRemoved, reason
 * invalid). Only that exact token goes: one the device registered meanwhile stays.
 */
@Injectable()
export class PushTokenRemover {
  constructor(
    private readonly nats: NatsClient,
    @Inject(CHAT_EVENT_STORE) private readonly store: EventStore<ChatEvent>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** True when an event was appended; false when the token was already gone or replaced. */
  async remove(userId: string, deviceId: string, token: PushToken): Promise<boolean> {
    const stream = userStreamName(this.nats.topology);
    const subject = userSubject(this.nats.topology, userId);
    for (let attempt = 1; ; attempt++) {
      const events = await this.store.read(stream, subject);
      let state = initialUserState();
      for (const e of events) state = evolveUser(state, e.event as UserEvent);
      const decision = decideUser(
        { type: 'RemovePushToken', deviceId, provider: token.provider, reason: 'invalid', ifToken: token },
        state,
        { now: this.clock.now(), newEventId: randomUUID },
      );
      if (!decision.ok || decision.events.length === 0) return false;
      try {
        let version = events.at(-1)?.streamSequence ?? 0;
        for (const event of decision.events)
          version = (await this.store.append(subject, event, { expectedLastSubjectSequence: version })).seq;
        return true;
      } catch (err) {
        if (err instanceof ConcurrencyError && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }
}
