import { Inject, Injectable } from '@nestjs/common';
import { PersonalDataVault, type ChatEvent, type UserEvent } from '#libs/events';
import { LiveDeliveryBus, NatsClient, type StoredMessage } from '#libs/nats';
import { MetricsService } from '#libs/platform';
import {
  applyToUsersModel,
  DeviceStore,
  InboxStore,
  PresenceStore,
  PushSettingsStore,
} from '#libs/read-models';

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
    private readonly push: PushSettingsStore,
    private readonly presence: PresenceStore,
    private readonly live: LiveDeliveryBus,
    private readonly vault: PersonalDataVault<ChatEvent>,
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
    const event = (await this.vault.decode(msg.data)) as UserEvent;
    // Before the users model forgets them: the devices whose inboxes, tokens and sessions go too.
    const forgottenDevices =
      event.type === 'UserForgotten' ? await this.devices.list(event.data.userId) : undefined;
    await applyToUsersModel(this.devices, event, msg.seq);
    if (event.type === 'UserForgotten') await this.forgotten(event.data.userId, forgottenDevices!, msg.seq);
    await this.applyToPushSettings(event, msg.seq);
    if (event.type === 'PrivacySettingsChanged') {
      const { userId, lastSeen, online } = event.data;
      await this.presence.savePrivacy(userId, { lastSeen, online }, msg.seq);
    }
    if (event.type === 'DeviceRemoved') {
      await this.inbox.dropDevice(event.data.userId, event.data.deviceId, this.nats.topology.partitions);
      this.live.publish(event.data.userId, { kind: 'revoke', deviceIds: [event.data.deviceId] });
    }
    this.applied.inc({ projection: 'users', type: event.type });
  }

  /** What else names the forgotten user's devices: their inboxes, push tokens, live sessions, last seen. */
  private async forgotten(
    userId: string,
    devices: readonly { deviceId: string }[],
    seq: number,
  ): Promise<void> {
    for (const { deviceId } of devices) {
      await this.inbox.dropDevice(userId, deviceId, this.nats.topology.partitions);
      await this.push.removeDevice(userId, deviceId, seq);
    }
    await this.presence.forgetUser(userId);
    if (devices.length > 0)
      this.live.publish(userId, { kind: 'revoke', deviceIds: devices.map((d) => d.deviceId) });
  }

  /** Push tokens, mutes and the preview setting, which the notifier reads. */
  private async applyToPushSettings(event: UserEvent, seq: number): Promise<void> {
    switch (event.type) {
      case 'DeviceRemoved':
        return this.push.removeDevice(event.data.userId, event.data.deviceId, seq);
      case 'PushTokenRegistered':
        return this.push.putToken(event.data.userId, event.data.deviceId, event.data.token, seq);
      case 'PushTokenRemoved':
        return this.push.removeToken(event.data.userId, event.data.deviceId, event.data.provider, seq);
      case 'ConversationMuted':
        return this.push.mute(
          event.data.userId,
          event.data.conversationId,
          event.data.until ? new Date(event.data.until) : undefined,
          seq,
        );
      case 'ConversationUnmuted':
        return this.push.unmute(event.data.userId, event.data.conversationId, seq);
      case 'NotificationPreviewSet':
        return this.push.setPreview(event.data.userId, event.data.preview, seq);
      case 'UserRegistered':
      case 'DeviceAdded':
      case 'PrivacySettingsChanged':
      case 'UserForgotten': // its devices' tokens are removed in forgotten()
        return;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  }
}
