import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { isoTime, snowflakeId, tokenId } from './ids.schema.js';

/** Accounts one user may block: bounds the user aggregate's state and the `block.list` answer. */
export const MAX_BLOCKED_USERS = 5000;
/** Messages a report may carry (the reporter picks them). */
export const MAX_REPORTED_MESSAGES = 5;

export const UserBlockedV1 = defineEvent({
  type: 'UserBlocked',
  version: 1,
  aggregate: 'user',
  description:
    "The user blocked another account: its direct messages to the user are withheld, it sees none of the user's presence, avatar or about, and cannot add the user to groups.",
  schema: z.object({ userId: tokenId, blockedUserId: tokenId }),
});

export const UserUnblockedV1 = defineEvent({
  type: 'UserUnblocked',
  version: 1,
  aggregate: 'user',
  description: 'The user unblocked an account they had blocked.',
  schema: z.object({ userId: tokenId, blockedUserId: tokenId }),
});

/** A message the reporter attached: copied from the timeline (plaintext) or supplied by the client (E2E). */
export const reportedMessage = z.object({
  messageId: snowflakeId,
  senderUserId: tokenId,
  sentAt: isoTime.optional(),
  /** The text as the reporter saw it; absent for media without a caption. */
  text: z.string().max(65_536).optional(),
  /** Media kind and id when the message carried media (the object itself is not copied). */
  mediaId: tokenId.optional(),
  /** 'server': copied by the server from its read model; 'client': supplied by the reporter (E2E). */
  source: z.enum(['server', 'client']),
});

export const reportTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), userId: tokenId }),
  z.object({ kind: z.literal('conversation'), conversationId: tokenId }),
]);

export const reportReason = z.enum(['spam', 'abuse', 'illegal', 'other']);

export const UserReportedV1 = defineEvent({
  type: 'UserReported',
  version: 1,
  aggregate: 'user',
  description:
    'The user (the reporter; the event is on their subject) reported an account or a conversation to the operators, with up to 5 messages they chose.',
  schema: z.object({
    userId: tokenId,
    reportId: snowflakeId,
    target: reportTarget,
    /** Accounts the report is against: the target user, or the other members whose messages were attached. */
    reportedUserIds: z.array(tokenId).max(MAX_REPORTED_MESSAGES + 1),
    reason: reportReason,
    comment: z.string().max(500).optional(),
    messages: z.array(reportedMessage).max(MAX_REPORTED_MESSAGES),
    /** The reporter also blocked the reported account (a UserBlocked follows in the same append). */
    alsoBlocked: z.boolean(),
  }),
  personal: [{ path: 'comment', owner: 'userId' }],
});

export const ReportResolvedV1 = defineEvent({
  type: 'ReportResolved',
  version: 1,
  aggregate: 'user',
  description: "An operator closed a report (on the reporter's subject): what was decided, by whom.",
  schema: z.object({
    userId: tokenId,
    reportId: snowflakeId,
    resolution: z.enum(['dismissed', 'actioned']),
    resolvedBy: z.string().min(1).max(256),
    note: z.string().max(1000).optional(),
  }),
});

export const AccountDeletedV1 = defineEvent({
  type: 'AccountDeleted',
  version: 1,
  aggregate: 'user',
  description:
    'The user deleted their account (DELETE /v1/me, confirmed with a fresh code). The phone number signs up again as a new account; UserForgotten follows once the personal data is shredded.',
  schema: z.object({
    userId: tokenId,
    deletedAt: isoTime,
    /** The phone number's first account id (generation 0) and this account's generation: the number's next sign-up is generation + 1. */
    baseUserId: tokenId,
    generation: z.number().int().nonnegative(),
  }),
});

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type UserBlocked = EventEnvelope<'UserBlocked', Data<typeof UserBlockedV1>>;
export type UserUnblocked = EventEnvelope<'UserUnblocked', Data<typeof UserUnblockedV1>>;
export type UserReported = EventEnvelope<'UserReported', Data<typeof UserReportedV1>>;
export type ReportResolved = EventEnvelope<'ReportResolved', Data<typeof ReportResolvedV1>>;
export type AccountDeleted = EventEnvelope<'AccountDeleted', Data<typeof AccountDeletedV1>>;
export type ReportedMessage = z.infer<typeof reportedMessage>;
export type ReportTarget = z.infer<typeof reportTarget>;
export type ReportReason = z.infer<typeof reportReason>;
export type SafetyEvent = UserBlocked | UserUnblocked | UserReported | ReportResolved | AccountDeleted;
export const safetyEvents = [
  UserBlockedV1,
  UserUnblockedV1,
  UserReportedV1,
  ReportResolvedV1,
  AccountDeletedV1,
] as const;
