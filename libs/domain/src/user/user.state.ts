import type { UserEvent } from '#libs/events';
import { DEFAULT_PRIVACY, type PrivacySettings } from '../presence/presence-visibility.js';

export interface DeviceState {
  readonly deviceId: string;
  readonly kind: 'primary' | 'linked';
  readonly name: string;
  readonly addedAt: string;
}

export type UserState =
  | { readonly status: 'unregistered' }
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
      });
      return { ...state, devices };
    }
    case 'DeviceRemoved': {
      if (state.status !== 'active') return state;
      const devices = new Map(state.devices);
      devices.delete(event.data.deviceId);
      return { ...state, devices };
    }
    case 'PrivacySettingsChanged':
      if (state.status !== 'active') return state;
      return { ...state, privacy: { lastSeen: event.data.lastSeen, online: event.data.online } };
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
