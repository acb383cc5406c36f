import { Injectable } from '@nestjs/common';
import { PersonalDataVault, type ChatEvent, type PresenceEvent } from '#libs/events';
import type { StoredMessage } from '#libs/nats';
import { MetricsService } from '#libs/platform';
import { PresenceStore } from '#libs/read-models';

/**
 * Last seen from the PRESENCE stream into Cassandra, so it survives a Redis restart. Idempotent: the
 * write is stamped with the last seen itself, so a replayed or late event never moves it back.
 */
@Injectable()
export class PresenceProjection {
  private readonly applied;

  constructor(
    private readonly presence: PresenceStore,
    private readonly vault: PersonalDataVault<ChatEvent>,
    metrics: MetricsService,
  ) {
    this.applied = metrics.counter('chat_projector_events_applied_total', 'Events applied by the projector', [
      'projection',
      'type',
    ]);
  }

  /** One user's transitions in order; users in parallel. */
  keyOf(msg: StoredMessage): string {
    return msg.subject;
  }

  async handle(msg: StoredMessage): Promise<void> {
    const event = (await this.vault.decode(msg.data)) as PresenceEvent;
    switch (event.type) {
      case 'UserCameOnline':
        break; // online lives in Redis; only the last seen must outlive it
      case 'UserWentOffline':
        await this.presence.recordLastSeen(event.data.userId, new Date(event.data.lastSeen));
        break;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
    this.applied.inc({ projection: 'presence', type: event.type });
  }
}
