import type { PushProvider, PushToken, UserEvent } from '#libs/events';
import { DEFAULT_PRIVACY, type PrivacySettings } from '../presence/presence-visibility.js';
import { EMPTY_PROFILE, type Profile } from './profile.js';

export interface DeviceState {
  readonly deviceId: string;
  readonly kind: 'primary' | 'linked';
  readonly name: string;
  readonly addedAt: string;
  /** At most one token per provider. */
  readonly pushTokens: ReadonlyMap<PushProvider, PushToken>;
}

export type UserState =
  | { readonly status: 'unregistered' }
  /** Personal data destroyed on request (UserForgotten): the account accepts no more commands. */
  /** `deleted`: the user deleted the account (AccountDeleted); their phone number signs up as a new account. */
  | { readonly status: 'forgotten'; readonly userId: string; readonly deleted?: true }
  | {
      readonly status: 'active';
      readonly userId: string;
      readonly phone: string;
      readonly devices: ReadonlyMap<string, DeviceState>;
      readonly privacy: PrivacySettings;
      readonly profile: Profile;
      /** The user's contact set: user ids named by the numbers of their address book. */
      readonly contacts: ReadonlySet<string>;
      /** Conversations the user pinned (at most MAX_PINNED). */
      readonly pinned: ReadonlySet<string>;
      /** Accounts the user blocked. */
      readonly blocked: ReadonlySet<string>;
      /** The account's E2E identity key (base64), once its primary device published one. */
      readonly identityKey?: string;
    };

export const initialUserState = (): UserState => ({ status: 'unregistered' });

export function evolveUser(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserRegistered':
      return {
        status: 'active',
        userId: event.data.userId,
        phone: event.data.phone,
        devices: new Map(),
        privacy: DEFAULT_PRIVACY,
        profile: EMPTY_PROFILE,
        contacts: new Set(),
        pinned: new Set(),
        blocked: new Set(),
      };
    case 'DeviceAdded': {
      if (state.status !== 'active') return state;
      const devices = new Map(state.devices);
      devices.set(event.data.deviceId, {
        deviceId: event.data.deviceId,
        kind: event.data.kind,
        name: event.data.name,
        addedAt: event.occurredAt,
        pushTokens: new Map(),
      });
      return { ...state, devices };
    }
    case 'DeviceRemoved': {
      if (state.status !== 'active') return state;
      const devices = new Map(state.devices);
      devices.delete(event.data.deviceId);
      return { ...state, devices };
    }
    case 'PushTokenRegistered':
    case 'PushTokenRemoved': {
      if (state.status !== 'active') return state;
      const device = state.devices.get(event.data.deviceId);
      if (!device) return state;
      const pushTokens = new Map(device.pushTokens);
      if (event.type === 'PushTokenRegistered') pushTokens.set(event.data.token.provider, event.data.token);
      else pushTokens.delete(event.data.provider);
      const devices = new Map(state.devices);
      devices.set(device.deviceId, { ...device, pushTokens });
      return { ...state, devices };
    }
    // Notification settings change no decision: they live in the read model the notifier reads.
    case 'ConversationMuted':
    case 'ConversationUnmuted':
    case 'NotificationPreviewSet':
      return state;
    case 'PrivacySettingsChanged':
      if (state.status !== 'active') return state;
      return { ...state, privacy: { lastSeen: event.data.lastSeen, online: event.data.online } };
    case 'ProfileNameChanged':
      if (state.status !== 'active') return state;
      return { ...state, profile: { ...state.profile, displayName: event.data.displayName } };
    case 'ProfileAboutChanged':
      if (state.status !== 'active') return state;
      return { ...state, profile: { ...state.profile, about: event.data.about } };
    case 'ProfileAvatarChanged': {
      if (state.status !== 'active') return state;
      const { avatarId: _old, ...rest } = state.profile;
      return {
        ...state,
        profile: event.data.avatarId ? { ...rest, avatarId: event.data.avatarId } : rest,
      };
    }
    case 'ProfilePrivacyChanged':
      if (state.status !== 'active') return state;
      return {
        ...state,
        profile: { ...state.profile, privacy: { avatar: event.data.avatar, about: event.data.about } },
      };
    case 'ContactsAdded':
    case 'ContactsRemoved': {
      if (state.status !== 'active') return state;
      const contacts = new Set(state.contacts);
      for (const id of event.data.contactIds)
        if (event.type === 'ContactsAdded') contacts.add(id);
        else contacts.delete(id);
      return { ...state, contacts };
    }
    case 'ConversationPinned': {
      if (state.status !== 'active') return state;
      const pinned = new Set(state.pinned);
      if (event.data.pinned) pinned.add(event.data.conversationId);
      else pinned.delete(event.data.conversationId);
      return { ...state, pinned };
    }
    // Archived and starred change no decision: they live in the read model the lists are built from.
    case 'ConversationArchived':
    case 'MessageStarred':
      return state;
    case 'UserBlocked':
    case 'UserUnblocked': {
      if (state.status !== 'active') return state;
      const blocked = new Set(state.blocked);
      if (event.type === 'UserBlocked') blocked.add(event.data.blockedUserId);
      else blocked.delete(event.data.blockedUserId);
      return { ...state, blocked };
    }
    // Reports change no decision of the reporter's account: they live in the operators' read model.
    case 'UserReported':
    case 'ReportResolved':
      return state;
    case 'AccountDeleted':
      return { status: 'forgotten', userId: event.data.userId, deleted: true };
    case 'IdentityKeyChanged':
      if (state.status !== 'active') return state;
      return { ...state, identityKey: event.data.identityKey };
    case 'UserForgotten':
      // A deletion stays one: the phone number may sign up again.
      return state.status === 'forgotten' && state.deleted
        ? state
        : { status: 'forgotten', userId: event.data.userId };
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export function primaryDevice(state: UserState): DeviceState | undefined {
  if (state.status !== 'active') return undefined;
  return [...state.devices.values()].find((d) => d.kind === 'primary');
}
