import type { UserEvent } from '#libs/events';
import { avatarKeyOf, type PresenceStore, type ProfileStore } from '#libs/read-models';
import type { ObjectStore } from '#libs/s3';

/** How long a contact's profile change waits for a device's `profile.changes`: a month away, then re-read. */
export const PROFILE_CHANGE_TTL_SECONDS = 30 * 86_400;

interface ProfileDeps {
  readonly profiles: ProfileStore;
  readonly objects: ObjectStore;
  /** The user's contact set: whose devices learn the change at sync. */
  readonly presence: PresenceStore;
}

/**
 * The profiles read model's part of a USERS event (writes stamped with the stream sequence, so replays
 * change nothing twice), the replaced avatar's object deleted, and the change recorded for the user's
 * contacts and the user's own devices (`profile.changes`).
 */
export async function applyToProfiles(event: UserEvent, seq: number, deps: ProfileDeps): Promise<void> {
  const { profiles } = deps;
  switch (event.type) {
    case 'ProfileNameChanged':
      await profiles.setDisplayName(event.data.userId, event.data.displayName, seq);
      break;
    case 'ProfileAboutChanged':
      await profiles.setAbout(event.data.userId, event.data.about, seq);
      break;
    case 'ProfileAvatarChanged': {
      const { userId, avatarId, previousAvatarId } = event.data;
      await profiles.setAvatar(userId, avatarId, seq);
      // After the switch: a reader sees the old avatar or the new one, never none. Deleting is idempotent;
      // a replay skips it when a later change took the same image back (the row already names it).
      const current = (await profiles.get(userId))?.profile.avatarId;
      if (previousAvatarId && previousAvatarId !== current)
        await deps.objects.delete(avatarKeyOf(userId, previousAvatarId));
      break;
    }
    case 'ProfilePrivacyChanged':
      await profiles.setPrivacy(event.data.userId, event.data.avatar, event.data.about, seq);
      break;
    case 'UserForgotten': {
      const stored = await profiles.get(event.data.userId);
      if (stored?.profile.avatarId)
        await deps.objects.delete(avatarKeyOf(event.data.userId, stored.profile.avatarId));
      await profiles.forget(event.data.userId, seq);
      return;
    }
    default:
      return;
  }
  const userId = event.data.userId;
  const audience = [userId, ...(await deps.presence.contacts(userId))];
  await profiles.recordChange(audience, userId, seq, PROFILE_CHANGE_TTL_SECONDS);
}
