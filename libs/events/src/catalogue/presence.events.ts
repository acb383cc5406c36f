import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { isoTime, tokenId } from './ids.schema.js';

/**
 * Presence transitions on `chat.presence.<userId>` (stream PRESENCE, limited retention). Only
 * transitions are events: heartbeats stay in Redis.
 */
export const UserCameOnlineV1 = defineEvent({
  type: 'UserCameOnline',
  version: 1,
  aggregate: 'presence',
  description: 'The first device of a user became active: the user is online.',
  schema: z.object({ userId: tokenId, deviceId: tokenId, at: isoTime }),
});

export const UserWentOfflineV1 = defineEvent({
  type: 'UserWentOffline',
  version: 1,
  aggregate: 'presence',
  description: 'The last active device of a user went quiet or disconnected: the user is offline.',
  schema: z.object({ userId: tokenId, lastSeen: isoTime }),
});

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type UserCameOnline = EventEnvelope<'UserCameOnline', Data<typeof UserCameOnlineV1>>;
export type UserWentOffline = EventEnvelope<'UserWentOffline', Data<typeof UserWentOfflineV1>>;
export type PresenceEvent = UserCameOnline | UserWentOffline;

export const presenceEvents = [UserCameOnlineV1, UserWentOfflineV1] as const;
