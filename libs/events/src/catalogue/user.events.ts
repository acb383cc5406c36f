import { conversationPrefsEvents, type ConversationPrefsEvent } from './conversation-prefs.events.js';
import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { FORGOTTEN, plaintextV1 } from '../personal/personal-fields.js';
import { e164, isoTime, tokenId } from './ids.schema.js';
import { profileEvents, type ProfileEvent } from './profile.events.js';
import { contactEvents, type ContactEvent } from './contact.events.js';
import { safetyEvents, type SafetyEvent } from './safety.events.js';

export const UserRegisteredV2 = defineEvent({
  type: 'UserRegistered',
  version: 2,
  aggregate: 'user',
  description: 'A phone number was verified for the first time and became an account.',
  // FORGOTTEN: what the phone reads once the user was forgotten.
  schema: z.object({ userId: tokenId, phone: e164.or(z.literal(FORGOTTEN)) }),
  personal: [{ path: 'phone', owner: 'userId' }],
  upcasters: plaintextV1,
});

export const DeviceAddedV2 = defineEvent({
  type: 'DeviceAdded',
  version: 2,
  aggregate: 'user',
  description: 'A device was registered: the primary phone, or a linked device.',
  schema: z.object({
    userId: tokenId,
    deviceId: tokenId,
    kind: z.enum(['primary', 'linked']),
    name: z.string().min(1).max(64),
  }),
  personal: [{ path: 'name', owner: 'userId' }],
  upcasters: plaintextV1,
});

export const UserForgottenV1 = defineEvent({
  type: 'UserForgotten',
  version: 1,
  aggregate: 'user',
  description:
    "The user's personal data was made unreadable (their data key destroyed) and the read models scrubbed, at someone's request (the audit record).",
  schema: z.object({
    userId: tokenId,
    requestedBy: z.string().min(1).max(256),
    requestedAt: isoTime,
  }),
});

export const DeviceRemovedV1 = defineEvent({
  type: 'DeviceRemoved',
  version: 1,
  aggregate: 'user',
  description: 'A device was removed: its tokens are revoked and its inbox dropped.',
  schema: z.object({ userId: tokenId, deviceId: tokenId }),
});

export const pushProvider = z.enum(['fcm', 'apns', 'webpush']);

/** Where a provider reaches one device: an FCM registration token, an APNs device token, a Web Push subscription. */
export const pushToken = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('fcm'), token: z.string().min(1).max(4096) }),
  z.object({
    provider: z.literal('apns'),
    token: z.string().regex(/^[0-9a-f]{64,200}$/),
    environment: z.enum(['sandbox', 'production']),
  }),
  z.object({
    provider: z.literal('webpush'),
    endpoint: z.url().max(2048),
    p256dh: z.string().min(1).max(256),
    auth: z.string().min(1).max(64),
  }),
]);

export const PushTokenRegisteredV1 = defineEvent({
  type: 'PushTokenRegistered',
  version: 1,
  aggregate: 'user',
  description: 'A device registered (or replaced) its push token for one provider.',
  schema: z.object({ userId: tokenId, deviceId: tokenId, token: pushToken }),
});

export const PushTokenRemovedV1 = defineEvent({
  type: 'PushTokenRemoved',
  version: 1,
  aggregate: 'user',
  description:
    "A device's push token for one provider was removed: by the device, or because the provider reported it invalid.",
  schema: z.object({
    userId: tokenId,
    deviceId: tokenId,
    provider: pushProvider,
    reason: z.enum(['device', 'invalid']),
  }),
});

export const ConversationMutedV1 = defineEvent({
  type: 'ConversationMuted',
  version: 1,
  aggregate: 'user',
  description: 'The user muted push notifications of one conversation, until a time or for ever.',
  schema: z.object({ userId: tokenId, conversationId: tokenId, until: isoTime.optional() }),
});

export const ConversationUnmutedV1 = defineEvent({
  type: 'ConversationUnmuted',
  version: 1,
  aggregate: 'user',
  description: 'The user unmuted one conversation.',
  schema: z.object({ userId: tokenId, conversationId: tokenId }),
});

export const NotificationPreviewSetV1 = defineEvent({
  type: 'NotificationPreviewSet',
  version: 1,
  aggregate: 'user',
  description: 'Whether push notifications show the sender and a preview, or only "new message".',
  schema: z.object({ userId: tokenId, preview: z.enum(['show', 'hide']) }),
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

export const IdentityKeyChangedV1 = defineEvent({
  type: 'IdentityKeyChanged',
  version: 1,
  aggregate: 'user',
  description:
    "The account's E2E identity key (published by its primary device) is new or replaced a different one: " +
    'the security code others verify with this user changed.',
  schema: z.object({
    userId: tokenId,
    deviceId: tokenId,
    /** Standard base64 of the public identity key (public material, not personal data). */
    identityKey: z.string().min(4).max(256),
    /** False for the account's first identity key: nobody has a security code to lose yet. */
    replaced: z.boolean(),
  }),
});

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type IdentityKeyChanged = EventEnvelope<'IdentityKeyChanged', Data<typeof IdentityKeyChangedV1>>;
export type UserRegistered = EventEnvelope<'UserRegistered', Data<typeof UserRegisteredV2>>;
export type DeviceAdded = EventEnvelope<'DeviceAdded', Data<typeof DeviceAddedV2>>;
export type UserForgotten = EventEnvelope<'UserForgotten', Data<typeof UserForgottenV1>>;
export type DeviceRemoved = EventEnvelope<'DeviceRemoved', Data<typeof DeviceRemovedV1>>;
export type PushTokenRegistered = EventEnvelope<'PushTokenRegistered', Data<typeof PushTokenRegisteredV1>>;
export type PushTokenRemoved = EventEnvelope<'PushTokenRemoved', Data<typeof PushTokenRemovedV1>>;
export type ConversationMuted = EventEnvelope<'ConversationMuted', Data<typeof ConversationMutedV1>>;
export type ConversationUnmuted = EventEnvelope<'ConversationUnmuted', Data<typeof ConversationUnmutedV1>>;
export type NotificationPreviewSet = EventEnvelope<
  'NotificationPreviewSet',
  Data<typeof NotificationPreviewSetV1>
>;
export type PushToken = z.infer<typeof pushToken>;
export type PushProvider = z.infer<typeof pushProvider>;
export type UserEvent =
  | UserRegistered
  | DeviceAdded
  | DeviceRemoved
  | PushTokenRegistered
  | PushTokenRemoved
  | ConversationMuted
  | ConversationUnmuted
  | NotificationPreviewSet
  | PrivacySettingsChanged
  | ProfileEvent
  | ContactEvent
  | ConversationPrefsEvent
  | SafetyEvent
  | IdentityKeyChanged
  | UserForgotten;
export type PrivacySettingsChanged = EventEnvelope<
  'PrivacySettingsChanged',
  Data<typeof PrivacySettingsChangedV1>
>;

export const userEvents = [
  UserRegisteredV2,
  DeviceAddedV2,
  DeviceRemovedV1,
  PushTokenRegisteredV1,
  PushTokenRemovedV1,
  ConversationMutedV1,
  ConversationUnmutedV1,
  NotificationPreviewSetV1,
  PrivacySettingsChangedV1,
  ...profileEvents,
  ...contactEvents,
  ...conversationPrefsEvents,
  ...safetyEvents,
  IdentityKeyChangedV1,
  UserForgottenV1,
] as const;
