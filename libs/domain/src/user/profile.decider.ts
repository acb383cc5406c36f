import type { ProfileAboutChanged, ProfileAvatarChanged, ProfileNameChanged, UserEvent } from '#libs/events';
import { envelope } from '../envelope.js';
import { accept, reject, type CommandContext, type Decision } from '../errors.js';
import { checkAbout, checkDisplayName } from './profile.js';
import type { UserState } from './user.state.js';

/**
 * Changes the user's profile; omitted fields keep their value. `avatarId` names an image the edge
 * already checked and copied to the avatar store; `null` removes the avatar. One event per field that
 * really changes, so a replay or a client that sends its whole profile again records nothing.
 */
export interface UpdateProfile {
  readonly type: 'UpdateProfile';
  readonly displayName?: string;
  readonly about?: string;
  readonly avatarId?: string | null;
}

export function decideProfile(
  command: UpdateProfile,
  state: UserState,
  ctx: CommandContext,
): Decision<UserEvent> {
  if (state.status !== 'active') return reject('NOT_FOUND', 'no such user');
  const { userId, profile } = state;
  const events: UserEvent[] = [];
  if (command.displayName !== undefined) {
    const name = checkDisplayName(command.displayName);
    if (!name.ok)
      return reject('VALIDATION_FAILED', `displayName: ${name.problem}`, { field: 'displayName' });
    if (name.value !== profile.displayName)
      events.push(
        envelope<ProfileNameChanged>(ctx, 'ProfileNameChanged', { userId, displayName: name.value }),
      );
  }
  if (command.about !== undefined) {
    const about = checkAbout(command.about);
    if (!about.ok) return reject('VALIDATION_FAILED', `about: ${about.problem}`, { field: 'about' });
    if (about.value !== profile.about)
      events.push(envelope<ProfileAboutChanged>(ctx, 'ProfileAboutChanged', { userId, about: about.value }));
  }
  if (command.avatarId !== undefined) {
    const next = command.avatarId ?? undefined;
    if (next !== profile.avatarId)
      events.push(
        envelope<ProfileAvatarChanged>(ctx, 'ProfileAvatarChanged', {
          userId,
          ...(next ? { avatarId: next } : {}),
          ...(profile.avatarId ? { previousAvatarId: profile.avatarId } : {}),
        }),
      );
  }
  return accept(...events);
}
