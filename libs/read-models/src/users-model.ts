import type { UserEvent } from '#libs/events';
import type { DeviceStore } from './device.store.js';

/**
 * The users read model's part of applying a USERS event: the same for the live projector and for a
 * rebuild (which must not repeat the projector's side effects such as live revocations).
 */
export async function applyToUsersModel(
  devices: DeviceStore,
  event: UserEvent,
  streamSeq: number,
): Promise<void> {
  switch (event.type) {
    case 'UserRegistered':
      await devices.registerUser(
        event.data.userId,
        event.forgotten?.includes('phone') ? null : event.data.phone,
        new Date(event.occurredAt),
        streamSeq,
      );
      return;
    case 'DeviceAdded':
      await devices.add({ ...event.data, addedAt: event.occurredAt }, streamSeq);
      return;
    case 'DeviceRemoved':
      await devices.remove(event.data.userId, event.data.deviceId, streamSeq);
      return;
    case 'UserForgotten':
      await devices.forgetUser(event.data.userId, streamSeq);
      return;
    case 'PushTokenRegistered':
    case 'PushTokenRemoved':
    case 'ConversationMuted':
    case 'ConversationUnmuted':
    case 'NotificationPreviewSet':
    case 'IdentityKeyChanged':
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
    case 'AccountDeleted': // its DeviceRemoved events came before it; UserForgotten scrubs the rest
      return; // notification, privacy and profile settings are read models of their own
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}
