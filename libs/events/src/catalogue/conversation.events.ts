import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { groupDescription, groupSettings, type GroupEvent } from './group.events.js';
import { isoTime, snowflakeId, tokenId } from './ids.schema.js';
import { plaintextV1 } from '../personal/personal-fields.js';

export const memberRole = z.enum(['admin', 'member']);

export const ConversationCreatedV1 = defineEvent({
  type: 'ConversationCreated',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'meta',
  description: 'A conversation began: a 1:1 chat is a conversation of exactly two members.',
  schema: z.object({
    conversationId: tokenId,
    kind: z.enum(['direct', 'group']),
    createdBy: tokenId,
    members: z
      .array(z.object({ userId: tokenId, role: memberRole }))
      .min(1)
      .max(100_000),
    title: z.string().min(1).max(100).optional(),
    /** Groups only: the description, the settings and the id of the "created" system message. */
    description: groupDescription.optional(),
    settings: groupSettings.optional(),
    systemMessageId: snowflakeId.optional(),
  }),
});

export const mediaKind = z.enum(['image', 'video', 'audio', 'voice', 'document']);

/**
 * Content is plain (the server may read it), one ciphertext per recipient device (E2E), or a reference to
 * a completed media object (never its bytes).
 */
export const messageContent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string().min(1).max(65_536) }),
  z.object({
    type: z.literal('e2e'),
    ciphertexts: z.record(z.string(), z.string().max(131_072)),
  }),
  z.object({
    type: z.literal('media'),
    mediaId: tokenId,
    kind: mediaKind,
    size: z.number().int().positive(),
    contentType: z.string().min(3).max(127),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    caption: z.string().min(1).max(4096).optional(),
    /** A client-made preview, bounded so events stay small: base64 JPEG/WebP up to 8 KiB of text. */
    thumbnail: z.string().max(8192).optional(),
    blurhash: z.string().min(6).max(100).optional(),
    durationSeconds: z.number().nonnegative().max(86_400).optional(),
    fileName: z.string().min(1).max(255).optional(),
    viewOnce: z.boolean(),
  }),
]);

export const MessageSentV2 = defineEvent({
  type: 'MessageSent',
  version: 2,
  aggregate: 'conversation',
  subjectKind: 'msg',
  description:
    "A member sent a message. membershipVersion is the stream sequence of the conversation's meta subject it was decided against.",
  schema: z.object({
    conversationId: tokenId,
    messageId: snowflakeId,
    senderUserId: tokenId,
    senderDeviceId: tokenId,
    clientMessageId: z.string().min(1).max(64),
    membershipVersion: z.number().int().nonnegative(),
    content: messageContent,
    replyTo: snowflakeId.optional(),
    /** Set when replyTo is a message of another conversation (a private reply to a group message). */
    replyToConversationId: tokenId.optional(),
    /** Members mentioned in the text (user ids, members when the send was decided). */
    mentions: z.array(tokenId).min(1).max(1024).optional(),
    sentAt: isoTime,
  }),
  // What the sender wrote or showed; the media's size, type and hash describe an object that
  // `chatctl forget` deletes. E2E ciphertexts are unreadable to the server already.
  personal: [
    { path: 'content.text', owner: 'senderUserId' },
    { path: 'content.caption', owner: 'senderUserId' },
    { path: 'content.fileName', owner: 'senderUserId' },
    { path: 'content.thumbnail', owner: 'senderUserId' },
  ],
  upcasters: plaintextV1,
});

export const MessageDeliveredV1 = defineEvent({
  type: 'MessageDelivered',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'rcpt',
  description: 'A recipient device acknowledged that it holds these messages.',
  schema: z.object({
    conversationId: tokenId,
    userId: tokenId,
    deviceId: tokenId,
    messageIds: z.array(snowflakeId).min(1).max(500),
    deliveredAt: isoTime,
  }),
});

export const MessageReadV1 = defineEvent({
  type: 'MessageRead',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'rcpt',
  description: 'A member read the conversation up to and including this message (a "read up to" marker).',
  schema: z.object({
    conversationId: tokenId,
    userId: tokenId,
    deviceId: tokenId,
    upToMessageId: snowflakeId,
    readAt: isoTime,
  }),
});

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type ConversationCreated = EventEnvelope<'ConversationCreated', Data<typeof ConversationCreatedV1>>;
export type MessageSent = EventEnvelope<'MessageSent', Data<typeof MessageSentV2>>;
export type MessageDelivered = EventEnvelope<'MessageDelivered', Data<typeof MessageDeliveredV1>>;
export type MessageRead = EventEnvelope<'MessageRead', Data<typeof MessageReadV1>>;
export type ConversationEvent =
  ConversationCreated | MessageSent | MessageDelivered | MessageRead | GroupEvent;

export const conversationEvents = [
  ConversationCreatedV1,
  MessageSentV2,
  MessageDeliveredV1,
  MessageReadV1,
] as const;
