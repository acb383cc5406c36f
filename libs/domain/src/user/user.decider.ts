import type {
  ConversationMuted,
  ConversationUnmuted,
  DeviceAdded,
  DeviceRemoved,
  NotificationPreviewSet,
  PushProvider,
  PushToken,
  PushTokenRegistered,
  PushTokenRemoved,
  PrivacySettingsChanged,
  ProfileNameChanged,
  ProfilePrivacyChanged,
  UserEvent,
  UserRegistered,
} from '#libs/events';
import type { PresenceAudience } from '../presence/presence-visibility.js';
import { envelope } from '../envelope.js';
import { accept, reject, type CommandContext, type Decision } from '../errors.js';
import { primaryDevice, type UserState } from './user.state.js';
import { checkDisplayName } from './profile.js';
import { decideProfile, type UpdateProfile } from './profile.decider.js';
import { decideContacts, type ChangeContacts } from './contacts.decider.js';
import { decideConversationPrefs, type ConversationPrefsCommand } from './conversation-prefs.decider.js';
import { decideSafety, type SafetyCommand } from './safety.decider.js';
import { decideIdentityKey, type PublishIdentityKey } from './identity-key.decider.js';

/** A verified phone signs in on a phone: registers the account on first use; the phone is the primary. */
export interface SignInPrimary {
  readonly type: 'SignInPrimary';
  readonly userId: string;
  readonly phone: string;
  readonly deviceId: string;
  readonly deviceName: string;
  /** Set at sign-up (checked like UpdateProfile's); an existing account keeps its own. */
  readonly displayName?: string;
}

export interface LinkDevice {
  readonly type: 'LinkDevice';
  readonly deviceId: string;
  readonly deviceName: string;
  readonly maxLinkedDevices: number;
}

export interface RemoveDevice {
  readonly type: 'RemoveDevice';
  readonly deviceId: string;
  /** The device asking: the primary may remove any device, a linked device only itself. */
  readonly requestedBy: string;
}

/** A device registers (or replaces) its own token for one provider. */
export interface RegisterPushToken {
  readonly type: 'RegisterPushToken';
  readonly deviceId: string;
  readonly token: PushToken;
}

/**
 * Removes a device's token for one provider: asked by the device, or by the notifier when the provider
 * refused `ifToken` (so a token the device replaced meanwhile stays).
 */
export interface RemovePushToken {
  readonly type: 'RemovePushToken';
  readonly deviceId: string;
  readonly provider: PushProvider;
  readonly reason: 'device' | 'invalid';
  readonly ifToken?: PushToken;
}

export interface MuteConversation {
  readonly type: 'MuteConversation';
  readonly conversationId: string;
  /** Absent: until unmuted. */
  readonly until?: Date;
}

export interface UnmuteConversation {
  readonly type: 'UnmuteConversation';
  readonly conversationId: string;
}

export interface SetNotificationPreview {
  readonly type: 'SetNotificationPreview';
  readonly preview: 'show' | 'hide';
}

export type UserCommand =
  | SignInPrimary
  | LinkDevice
  | RemoveDevice
  | RegisterPushToken
  | RemovePushToken
  | MuteConversation
  | UnmuteConversation
  | SetNotificationPreview
  | ChangePrivacySettings
  | UpdateProfile
  | ChangeContacts
  | ConversationPrefsCommand
  | SafetyCommand
  | PublishIdentityKey;

const sameToken = (a: PushToken, b: PushToken): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Changes who sees the user's last seen and online status; omitted fields keep their value. */
export interface ChangePrivacySettings {
  readonly type: 'ChangePrivacySettings';
  readonly lastSeen?: PresenceAudience;
  readonly online?: PresenceAudience;
  readonly avatar?: PresenceAudience;
  readonly about?: PresenceAudience;
}

export function decideUser(command: UserCommand, state: UserState, ctx: CommandContext): Decision<UserEvent> {
  // Erased on request: the account takes no command again, signing in with its phone included.
  if (state.status === 'forgotten') return reject('USER_FORGOTTEN', 'this account was forgotten');
  switch (command.type) {
    case 'SignInPrimary': {
      const events: UserEvent[] = [];
      if (state.status === 'unregistered') {
        const name = command.displayName !== undefined ? checkDisplayName(command.displayName) : undefined;
        if (name && !name.ok) return reject('VALIDATION_FAILED', `displayName: ${name.problem}`);
        events.push(
          envelope<UserRegistered>(ctx, 'UserRegistered', { userId: command.userId, phone: command.phone }),
        );
        if (name?.ok)
          events.push(
            envelope<ProfileNameChanged>(ctx, 'ProfileNameChanged', {
              userId: command.userId,
              displayName: name.value,
            }),
          );
      } else {
        // A new phone replaces the old primary (WhatsApp: one phone per account); linked devices stay.
        const old = primaryDevice(state);
        if (old)
          events.push(
            envelope<DeviceRemoved>(ctx, 'DeviceRemoved', { userId: state.userId, deviceId: old.deviceId }),
          );
      }
      events.push(
        envelope<DeviceAdded>(ctx, 'DeviceAdded', {
          userId: command.userId,
          deviceId: command.deviceId,
          kind: 'primary',
          name: command.deviceName,
        }),
      );
      return accept(...events);
    }
    case 'LinkDevice': {
      if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
      const linked = [...state.devices.values()].filter((d) => d.kind === 'linked').length;
      if (linked >= command.maxLinkedDevices) {
        return reject('DEVICE_LIMIT', `at most ${command.maxLinkedDevices} linked devices`, {
          limit: command.maxLinkedDevices,
        });
      }
      return accept(
        envelope<DeviceAdded>(ctx, 'DeviceAdded', {
          userId: state.userId,
          deviceId: command.deviceId,
          kind: 'linked',
          name: command.deviceName,
        }),
      );
    }
    case 'RemoveDevice': {
      if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
      const target = state.devices.get(command.deviceId);
      if (!target) return reject('NOT_FOUND', `no device ${command.deviceId}`);
      const requester = state.devices.get(command.requestedBy);
      if (requester?.kind !== 'primary' && command.requestedBy !== command.deviceId) {
        return reject('FORBIDDEN', 'only the primary device removes other devices');
      }
      return accept(
        envelope<DeviceRemoved>(ctx, 'DeviceRemoved', { userId: state.userId, deviceId: command.deviceId }),
      );
    }
    case 'RegisterPushToken': {
      if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
      const device = state.devices.get(command.deviceId);
      if (!device) return reject('NOT_FOUND', `no device ${command.deviceId}`);
      const current = device.pushTokens.get(command.token.provider);
      if (current && sameToken(current, command.token)) return accept(); // already registered
      return accept(
        envelope<PushTokenRegistered>(ctx, 'PushTokenRegistered', {
          userId: state.userId,
          deviceId: command.deviceId,
          token: command.token,
        }),
      );
    }
    case 'RemovePushToken': {
      if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
      const current = state.devices.get(command.deviceId)?.pushTokens.get(command.provider);
      if (!current) return reject('NOT_FOUND', `no ${command.provider} token on device ${command.deviceId}`);
      if (command.ifToken && !sameToken(current, command.ifToken)) return accept(); // replaced meanwhile
      return accept(
        envelope<PushTokenRemoved>(ctx, 'PushTokenRemoved', {
          userId: state.userId,
          deviceId: command.deviceId,
          provider: command.provider,
          reason: command.reason,
        }),
      );
    }
    case 'MuteConversation': {
      if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
      if (command.until && command.until.getTime() <= ctx.now.getTime())
        return reject('VALIDATION_FAILED', 'until: must be in the future');
      return accept(
        envelope<ConversationMuted>(ctx, 'ConversationMuted', {
          userId: state.userId,
          conversationId: command.conversationId,
          ...(command.until ? { until: command.until.toISOString() } : {}),
        }),
      );
    }
    case 'UnmuteConversation': {
      if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
      return accept(
        envelope<ConversationUnmuted>(ctx, 'ConversationUnmuted', {
          userId: state.userId,
          conversationId: command.conversationId,
        }),
      );
    }
    case 'SetNotificationPreview': {
      if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
      return accept(
        envelope<NotificationPreviewSet>(ctx, 'NotificationPreviewSet', {
          userId: state.userId,
          preview: command.preview,
        }),
      );
    }
    case 'ChangePrivacySettings': {
      if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
      const events: UserEvent[] = [];
      const next = {
        lastSeen: command.lastSeen ?? state.privacy.lastSeen,
        online: command.online ?? state.privacy.online,
      };
      // Setting what is already set records nothing.
      if (next.lastSeen !== state.privacy.lastSeen || next.online !== state.privacy.online)
        events.push(
          envelope<PrivacySettingsChanged>(ctx, 'PrivacySettingsChanged', { userId: state.userId, ...next }),
        );
      const was = state.profile.privacy;
      const profile = { avatar: command.avatar ?? was.avatar, about: command.about ?? was.about };
      if (profile.avatar !== was.avatar || profile.about !== was.about)
        events.push(
          envelope<ProfilePrivacyChanged>(ctx, 'ProfilePrivacyChanged', { userId: state.userId, ...profile }),
        );
      return accept(...events);
    }
    case 'UpdateProfile':
      return decideProfile(command, state, ctx);
    case 'ChangeContacts':
      return decideContacts(command, state, ctx);
    case 'ArchiveConversation':
    case 'PinConversation':
    case 'StarMessage':
      return decideConversationPrefs(command, state, ctx);
    case 'BlockUser':
    case 'UnblockUser':
    case 'ReportUser':
    case 'DeleteAccount':
      return decideSafety(command, state, ctx);
    case 'PublishIdentityKey':
      return decideIdentityKey(command, state, ctx);
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}
