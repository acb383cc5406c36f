import type {
  DeviceAdded,
  DeviceRemoved,
  PrivacySettingsChanged,
  UserEvent,
  UserRegistered,
} from '#libs/events';
import type { PresenceAudience } from '../presence/presence-visibility.js';
import { accept, reject, type CommandContext, type Decision } from '../errors.js';
import { primaryDevice, type UserState } from './user.state.js';

/** A verified phone signs in on a phone: registers the account on first use; the phone is the primary. */
export interface SignInPrimary {
  readonly type: 'SignInPrimary';
  readonly userId: string;
  readonly phone: string;
  readonly deviceId: string;
  readonly deviceName: string;
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

/** Changes who sees the user's last seen and online status; omitted fields keep their value. */
export interface ChangePrivacySettings {
  readonly type: 'ChangePrivacySettings';
  readonly lastSeen?: PresenceAudience;
  readonly online?: PresenceAudience;
}

export type UserCommand = SignInPrimary | LinkDevice | RemoveDevice | ChangePrivacySettings;

function envelope<E extends UserEvent>(ctx: CommandContext, type: E['type'], data: E['data']): E {
  return { type, version: 1, id: ctx.newEventId(), occurredAt: ctx.now.toISOString(), data } as E;
}

export function decideUser(command: UserCommand, state: UserState, ctx: CommandContext): Decision<UserEvent> {
  switch (command.type) {
    case 'SignInPrimary': {
      const events: UserEvent[] = [];
      if (state.status === 'unregistered') {
        events.push(
          envelope<UserRegistered>(ctx, 'UserRegistered', { userId: command.userId, phone: command.phone }),
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
    case 'ChangePrivacySettings': {
      if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
      const next = {
        lastSeen: command.lastSeen ?? state.privacy.lastSeen,
        online: command.online ?? state.privacy.online,
      };
      // Setting what is already set records nothing.
      if (next.lastSeen === state.privacy.lastSeen && next.online === state.privacy.online) return accept();
      return accept(
        envelope<PrivacySettingsChanged>(ctx, 'PrivacySettingsChanged', { userId: state.userId, ...next }),
      );
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}
