import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { snowflakeId, tokenId } from './ids.schema.js';

/**
 * Membership and settings of a group, all on the conversation's `.meta` subject, appended with
 * optimistic concurrency. Each carries `systemMessageId`: the snowflake of the system message the
 * projector puts in the timeline for it, minted when the command was decided so a rebuild reuses it.
 */
export const groupPermission = z.enum(['everyone', 'admins']);
export const groupSettings = z.object({ sendMessages: groupPermission, editInfo: groupPermission });
export const groupSubject = z.string().min(1).max(100);
export const groupDescription = z.string().max(2048);

export const GroupMembersAddedV1 = defineEvent({
  type: 'GroupMembersAdded',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'meta',
  description: 'An admin added members to a group; they join as members.',
  schema: z.object({
    conversationId: tokenId,
    addedBy: tokenId,
    userIds: z.array(tokenId).min(1).max(100_000),
    systemMessageId: snowflakeId,
  }),
});

export const GroupMemberRemovedV1 = defineEvent({
  type: 'GroupMemberRemoved',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'meta',
  description: 'An admin removed a member from a group.',
  schema: z.object({
    conversationId: tokenId,
    removedBy: tokenId,
    userId: tokenId,
    systemMessageId: snowflakeId,
  }),
});

export const GroupMemberLeftV1 = defineEvent({
  type: 'GroupMemberLeft',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'meta',
  description:
    'A member left a group; when the last admin leaves, the longest-standing member becomes admin.',
  schema: z.object({
    conversationId: tokenId,
    userId: tokenId,
    newAdminUserId: tokenId.optional(),
    systemMessageId: snowflakeId,
  }),
});

export const GroupAdminPromotedV1 = defineEvent({
  type: 'GroupAdminPromoted',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'meta',
  description: 'An admin made a member an admin.',
  schema: z.object({
    conversationId: tokenId,
    by: tokenId,
    userId: tokenId,
    systemMessageId: snowflakeId,
  }),
});

export const GroupAdminDemotedV1 = defineEvent({
  type: 'GroupAdminDemoted',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'meta',
  description: 'An admin made an admin a plain member again.',
  schema: z.object({
    conversationId: tokenId,
    by: tokenId,
    userId: tokenId,
    systemMessageId: snowflakeId,
  }),
});

export const GroupInfoChangedV1 = defineEvent({
  type: 'GroupInfoChanged',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'meta',
  description: "A group's subject, description or icon changed.",
  schema: z.object({
    conversationId: tokenId,
    changedBy: tokenId,
    subject: groupSubject.optional(),
    description: groupDescription.optional(),
    /** The new icon: an image upload copied to the group's icon key (group-icons/<groupId>/<iconId>). */
    iconId: tokenId.optional(),
    /** The icon was removed. */
    iconRemoved: z.literal(true).optional(),
    systemMessageId: snowflakeId,
  }),
});

export const GroupSettingsChangedV1 = defineEvent({
  type: 'GroupSettingsChanged',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'meta',
  description: 'An admin changed who may send messages and who may edit the group info.',
  schema: z.object({
    conversationId: tokenId,
    changedBy: tokenId,
    settings: groupSettings,
    systemMessageId: snowflakeId,
  }),
});

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type GroupSettings = z.infer<typeof groupSettings>;
export type GroupMembersAdded = EventEnvelope<'GroupMembersAdded', Data<typeof GroupMembersAddedV1>>;
export type GroupMemberRemoved = EventEnvelope<'GroupMemberRemoved', Data<typeof GroupMemberRemovedV1>>;
export type GroupMemberLeft = EventEnvelope<'GroupMemberLeft', Data<typeof GroupMemberLeftV1>>;
export type GroupAdminPromoted = EventEnvelope<'GroupAdminPromoted', Data<typeof GroupAdminPromotedV1>>;
export type GroupAdminDemoted = EventEnvelope<'GroupAdminDemoted', Data<typeof GroupAdminDemotedV1>>;
export type GroupInfoChanged = EventEnvelope<'GroupInfoChanged', Data<typeof GroupInfoChangedV1>>;
export type GroupSettingsChanged = EventEnvelope<'GroupSettingsChanged', Data<typeof GroupSettingsChangedV1>>;
export type GroupEvent =
  | GroupMembersAdded
  | GroupMemberRemoved
  | GroupMemberLeft
  | GroupAdminPromoted
  | GroupAdminDemoted
  | GroupInfoChanged
  | GroupSettingsChanged;

export const groupEvents = [
  GroupMembersAddedV1,
  GroupMemberRemovedV1,
  GroupMemberLeftV1,
  GroupAdminPromotedV1,
  GroupAdminDemotedV1,
  GroupInfoChangedV1,
  GroupSettingsChangedV1,
] as const;
