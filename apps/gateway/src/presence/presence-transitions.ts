import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { presenceSubject, type ChatEvent, type UserCameOnline, type UserWentOffline } from '#libs/events';
import { CHAT_EVENT_STORE, EventStore, NatsClient } from '#libs/nats';
import { LOGGER, MetricsService } from '#libs/platform';
import { PresenceBus } from './presence-bus.js';
import type { CameOnline, WentOffline } from './presence-registry.js';

const ATTEMPTS = 5;

/**
 * Turns the transitions Redis decided into events on `chat.presence.<userId>` and live updates. The
 * Nats-Msg-Id names the transition, so a retried append stores it once.
 */
@Injectable()
export class PresenceTransitions {
  private readonly counter;

  constructor(
    private readonly nats: NatsClient,
    @Inject(CHAT_EVENT_STORE) private readonly store: EventStore<ChatEvent>,
    private readonly bus: PresenceBus,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.counter = metrics.counter(
      'chat_gateway_presence_transitions_total',
      'Presence transitions written',
      ['kind'],
    );
  }

  async cameOnline(c: CameOnline): Promise<void> {
    this.bus.publishPresence({ userId: c.userId, online: true });
    const event: UserCameOnline = {
      type: 'UserCameOnline',
      version: 1,
      id: randomUUID(),
      occurredAt: new Date(c.at).toISOString(),
      data: { userId: c.userId, deviceId: c.deviceId, at: new Date(c.at).toISOString() },
    };
    await this.append(c.userId, event, `${c.userId}.online.${c.at}`);
    this.counter.inc({ kind: 'online' });
  }

  async wentOffline(w: WentOffline): Promise<void> {
    this.bus.publishPresence({ userId: w.userId, online: false, lastSeen: w.lastSeen });
    const lastSeen = new Date(w.lastSeen).toISOString();
    const event: UserWentOffline = {
      type: 'UserWentOffline',
      version: 1,
      id: randomUUID(),
      occurredAt: lastSeen,
      data: { userId: w.userId, lastSeen },
    };
    await this.append(w.userId, event, `${w.userId}.offline.${w.lastSeen}`);
    this.counter.inc({ kind: 'offline' });
  }

  private async append(userId: string, event: ChatEvent, msgId: string): Promise<void> {
    const subject = presenceSubject(this.nats.topology, userId);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.append(subject, event, { msgId });
        return;
      } catch (err) {
        if (attempt >= ATTEMPTS) {
          this.logger.error({ err, userId, type: event.type }, 'presence transition not stored');
          return;
        }
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }
}
