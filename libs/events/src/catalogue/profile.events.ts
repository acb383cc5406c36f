import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { tokenId } from './ids.schema.js';

/** Who may see a profile field (avatar, about): the same three audiences as last seen. */
export const profileAudience = z.enum(['everyone', 'contacts', 'nobody']);

/**
 * Profile text is checked again on the log (the domain normalizes it first): a display name is 1-25
 * characters, an about line 0-139. Lengths count code points, as the protocol does.
 */
const codePoints = (min: number, max: number) =>
  z.string().refine((s) => [...s].length >= min && [...s].length <= max, `${min}-${max} characters`);

export const ProfileNameChangedV1 = defineEvent({
  type: 'ProfileNameChanged',
  version: 1,
  aggregate: 'user',
  description: 'The user set their display name (shown to others instead of the phone number).',
  schema: z.object({ userId: tokenId, displayName: codePoints(1, 25) }),
  personal: [{ path: 'displayName', owner: 'userId' }],
});

export const ProfileAboutChangedV1 = defineEvent({
  type: 'ProfileAboutChanged',
  version: 1,
  aggregate: 'user',
  description: 'The user set their about line (empty: none).',
  schema: z.object({ userId: tokenId, about: codePoints(0, 139) }),
  personal: [{ path: 'about', owner: 'userId' }],
});

export const ProfileAvatarChangedV1 = defineEvent({
  type: 'ProfileAvatarChanged',
  version: 1,
  aggregate: 'user',
  description:
    'The user replaced (or removed) their avatar: an uploaded image copied to the avatar store; the previous one is deleted.',
  schema: z.object({
    userId: tokenId,
    /** The new avatar's id (the media id it was uploaded as); absent: the avatar was removed. */
    avatarId: tokenId.optional(),
    /** The avatar it replaces, whose object the projector deletes. */
    previousAvatarId: tokenId.optional(),
  }),
});

export const ProfilePrivacyChangedV1 = defineEvent({
  type: 'ProfilePrivacyChanged',
  version: 1,
  aggregate: 'user',
  description: 'A user changed who sees their avatar and their about line (the whole new setting).',
  schema: z.object({ userId: tokenId, avatar: profileAudience, about: profileAudience }),
});

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type ProfileNameChanged = EventEnvelope<'ProfileNameChanged', Data<typeof ProfileNameChangedV1>>;
export type ProfileAboutChanged = EventEnvelope<'ProfileAboutChanged', Data<typeof ProfileAboutChangedV1>>;
export type ProfileAvatarChanged = EventEnvelope<'ProfileAvatarChanged', Data<typeof ProfileAvatarChangedV1>>;
export type ProfilePrivacyChanged = EventEnvelope<
  'ProfilePrivacyChanged',
  Data<typeof ProfilePrivacyChangedV1>
>;
export type ProfileEvent =
  ProfileNameChanged | ProfileAboutChanged | ProfileAvatarChanged | ProfilePrivacyChanged;

export const profileEvents = [
  ProfileNameChangedV1,
  ProfileAboutChangedV1,
  ProfileAvatarChangedV1,
  ProfilePrivacyChangedV1,
] as const;
