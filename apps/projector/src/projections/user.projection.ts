import { Inject, Injectable } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import { chatEventCodec, type UserEvent } from '#libs/events';
import { LiveDeliveryBus, NatsClient } from '#libs/nats';
import { MetricsService } from '#libs/platform';
import { DeviceStore, InboxStore, PresenceStore } from '#libs/read-models';

/**
 * Users and devices from the USERS stream. Writes are stamped with the stream sequence, so applying an
 * event again, or late, never undoes a newer one.
 */
@Injectable()
export class UserProjection {
  private readonly applied;

  constructor(
    private readonly nats: NatsClient,
    private readonly devices: DeviceStore,
    private readonly inbox: InboxStore,
    private readonly presence: PresenceStore,
    private readonly live: LiveDeliveryBus,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
    this.applied = metrics.counter('chat_projector_events_applied_total', 'Events applied by the projector', [
      'projection',
      'type',
    ]);
  }

  keyOf(msg: JsMsg): string {
    return msg.subject;
  }

  async handle(msg: JsMsg): Promise<void> {
    const event = chatEventCodec.decode(msg.data) as UserEvent;
    switch (event.type) {
      case 'UserRegistered':
        await this.devices.registerUser(
          event.data.userId,
          event.data.phone,
          new Date(event.occurredAt),
          msg.seq,
        );
        break;
      case 'DeviceAdded':
        await this.devices.add({ ...event.data, addedAt: event.occurredAt }, msg.seq);
        break;
      case 'DeviceRemoved':
        await this.devices.remove(event.data.userId, event.data.deviceId, msg.seq);
        await this.inbox.dropDevice(event.data.userId, event.data.deviceId, this.nats.topology.partitions);
        this.live.publish(event.data.userId, { kind: 'revoke', deviceIds: [event.data.deviceId] });
        break;
      case 'PrivacySettingsChanged':
        await this.presence.savePrivacy(
          event.data.userId,
          { lastSeen: event.data.lastSeen, online: event.data.online },
          msg.seq,
        );
        break;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
    this.applied.inc({ projection: 'users', type: event.type });
  }
}
