import { Inject, Injectable } from '@nestjs/common';
import { PersonalDataVault, type ChatEvent, type UserEvent } from '#libs/events';
import { LiveDeliveryBus, NatsClient, type StoredMessage } from '#libs/nats';
import { MetricsService } from '#libs/platform';
import {
  AccountGenerationStore,
  applyToUsersModel,
  DeviceStore,
  InboxStore,
  PresenceStore,
  ContactSetStore,
  ConversationPrefsStore,
  ProfileStore,
  PushSettingsStore,
} from '#libs/read-models';
import { DeviceDirectory } from './device-directory.js';
import { applyToContactSets } from './contact-set-projection.js';
import { ObjectStore } from '#libs/s3';
import { applyToProfiles } from './profile-projection.js';
import { ReportProjection } from './report-projection.js';

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
    private readonly directory: DeviceDirectory,
    private readonly profiles: ProfileStore,
    private readonly objects: ObjectStore,
    private readonly contactSets: ContactSetStore,
    private readonly reports: ReportProjection,
    private readonly generations: AccountGenerationStore,
    @Inject(MetricsService) metrics: MetricsService,
    private readonly prefs: ConversationPrefsStore,
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
    // The delivery reactor's device lists follow the model in this process (see DeviceDirectory).
    this.directory.applied(event, msg.redelivered === true);
    if (event.type === 'UserForgotten') await this.forgotten(event.data.userId, forgottenDevices!, msg.seq);
    await this.applyToPushSettings(event, msg.seq);
    await this.prefs.apply(event, msg.seq, new Date(event.occurredAt)); // archived, pinned, starred
    await applyToContactSets(event, msg.seq, this.contactSets);
    await this.reports.apply(event, msg.seq);
    // The number of a deleted account signs up as its next generation (the gateway's PhoneAccounts).
    if (event.type === 'AccountDeleted')
      await this.generations.deleted(event.data.baseUserId, event.data.generation, msg.seq);
    await applyToProfiles(event, msg.seq, {
      profiles: this.profiles,
      objects: this.objects,
      presence: this.presence,
    });
    if (event.type === 'PrivacySettingsChanged') {
      const { userId, lastSeen, online } = event.data;
      await this.presence.savePrivacy(userId, { lastSeen, online }, msg.seq);
    }
    if (event.type === 'DeviceRemoved') {
      await this.inbox.dropDevice(event.data.userId, event.data.deviceId, this.nats.topology.partitions);
      this.live.revoke(event.data.userId, [event.data.deviceId]);
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
      this.live.revoke(
        userId,
        devices.map((d) => d.deviceId),
      );
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
      case 'ProfileNameChanged':
      case 'ProfileAboutChanged':
      case 'ProfileAvatarChanged':
      case 'ProfilePrivacyChanged':
      case 'ContactsAdded':
      case 'ContactsRemoved':
      case 'ConversationArchived':
      case 'ConversationPinned':
      case 'MessageStarred':
      case 'UserBlocked':
      case 'UserUnblocked':
      case 'UserReported':
      case 'ReportResolved':
      case 'AccountDeleted': // DeviceRemoved events before it took the devices' tokens
      case 'IdentityKeyChanged':
      case 'UserForgotten': // its devices' tokens are removed in forgotten()
        return;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  }
}
