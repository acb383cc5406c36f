import { Inject, Injectable } from '@nestjs/common';
import { chatEventCodec, type UserEvent } from '#libs/events';
import { LiveDeliveryBus, NatsClient, type StoredMessage } from '#libs/nats';
import { MetricsService } from '#libs/platform';
import { applyToUsersModel, DeviceStore, InboxStore } from '#libs/read-models';

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
    private readonly live: LiveDeliveryBus,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
    this.applied = metrics.counter('chat_projector_events_applied_total', 'Events applied by the projector', [
      'projection',
      'type',
    ]);
  }

  keyOf(msg: StoredMessage): string {
    return msg.subject;
  }

  async handle(msg: StoredMessage): Promise<void> {
    const event = chatEventCodec.decode(msg.data) as UserEvent;
    await applyToUsersModel(this.devices, event, msg.seq);
    if (event.type === 'DeviceRemoved') {
      await this.inbox.dropDevice(event.data.userId, event.data.deviceId, this.nats.topology.partitions);
      this.live.publish(event.data.userId, { kind: 'revoke', deviceIds: [event.data.deviceId] });
    }
    this.applied.inc({ projection: 'users', type: event.type });
  }
}
