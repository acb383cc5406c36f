import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { e164, tokenId } from './ids.schema.js';

export const UserRegisteredV1 = defineEvent({
  type: 'UserRegistered',
  version: 1,
  aggregate: 'user',
  description: 'A phone number was verified for the first time and became an account.',
  schema: z.object({ userId: tokenId, phone: e164 }),
});

export const DeviceAddedV1 = defineEvent({
  type: 'DeviceAdded',
  version: 1,
  aggregate: 'user',
  description: 'A device was registered: the primary phone, or a linked device.',
  schema: z.object({
    userId: tokenId,
    deviceId: tokenId,
    kind: z.enum(['primary', 'linked']),
    name: z.string().min(1).max(64),
  }),
});

export const DeviceRemovedV1 = defineEvent({
  type: 'DeviceRemoved',
  version: 1,
  aggregate: 'user',
  description: 'A device was removed: its tokens are revoked and its inbox dropped.',
  schema: z.object({ userId: tokenId, deviceId: tokenId }),
});

/** Who may see a user's last seen / online status. */
export const presenceAudience = z.enum(['everyone', 'contacts', 'nobody']);

export const PrivacySettingsChangedV1 = defineEvent({
  type: 'PrivacySettingsChanged',
  version: 1,
  aggregate: 'user',
  description: 'A user changed who sees their last seen and online status (the whole new setting).',
  schema: z.object({ userId: tokenId, lastSeen: presenceAudience, online: presenceAudience }),
});

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type UserRegistered = EventEnvelope<'UserRegistered', Data<typeof UserRegisteredV1>>;
export type DeviceAdded = EventEnvelope<'DeviceAdded', Data<typeof DeviceAddedV1>>;
export type DeviceRemoved = EventEnvelope<'DeviceRemoved', Data<typeof DeviceRemovedV1>>;
export type PrivacySettingsChanged = EventEnvelope<
  'PrivacySettingsChanged',
  Data<typeof PrivacySettingsChangedV1>
>;
export type UserEvent = UserRegistered | DeviceAdded | DeviceRemoved | PrivacySettingsChanged;

export const userEvents = [
  UserRegisteredV1,
  DeviceAddedV1,
  DeviceRemovedV1,
  PrivacySettingsChangedV1,
] as const;
