import type { PushProvider, PushToken, UserEvent } from '#libs/events';
import { DEFAULT_PRIVACY, type PrivacySettings } from '../presence/presence-visibility.js';

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
  | { readonly status: 'forgotten'; readonly userId: string }
  | {
      readonly status: 'active';
      readonly userId: string;
      readonly phone: string;
      readonly devices: ReadonlyMap<string, DeviceState>;
      readonly privacy: PrivacySettings;
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
    case 'UserForgotten':
      return { status: 'forgotten', userId: event.data.userId };
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
