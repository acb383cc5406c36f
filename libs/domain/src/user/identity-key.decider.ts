import type { IdentityKeyChanged, UserEvent } from '#libs/events';
import { envelope } from '../envelope.js';
import { accept, reject, type CommandContext, type Decision } from '../errors.js';
import type { UserState } from './user.state.js';

/**
 * A device publishes its E2E keys under the account's identity key. The primary device sets that key
 * (a different one is a change everybody who talks to the user must see); a linked device carries the
 * same identity (copied to it when it was linked) and may not set another.
 */
export interface PublishIdentityKey {
  readonly type: 'PublishIdentityKey';
  readonly deviceId: string;
  /** Standard base64 of the public identity key. */
  readonly identityKey: string;
}

export function decideIdentityKey(
  command: PublishIdentityKey,
  state: UserState,
  ctx: CommandContext,
): Decision<UserEvent> {
  if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
  const device = state.devices.get(command.deviceId);
  if (!device) return reject('FORBIDDEN', 'this device was removed');
  if (state.identityKey === command.identityKey) return accept(); // republishing changes nothing
  if (device.kind !== 'primary')
    return reject(
      'IDENTITY_KEY_MISMATCH',
      state.identityKey === undefined
        ? "the primary device publishes the account's identity key first"
        : "a linked device publishes the account's identity key (the primary device's)",
    );
  return accept(
    envelope<IdentityKeyChanged>(ctx, 'IdentityKeyChanged', {
      userId: state.userId,
      deviceId: command.deviceId,
      identityKey: command.identityKey,
      replaced: state.identityKey !== undefined,
    }),
  );
}
