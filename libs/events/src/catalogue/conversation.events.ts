import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { groupDescription, groupSettings, type GroupEvent } from './group.events.js';
import { isoTime, snowflakeId, tokenId } from './ids.schema.js';
import { plaintextV1 } from '../personal/personal-fields.js';
import type { MessageActionEvent } from './message-action.events.js';
import type { SecurityCodeChanged } from './e2e.events.js';
import type { DisappearingEvent } from './disappearing.events.js';

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
    /** End-to-end encrypted: only E2E content may be sent (issue 17). Absent: false. */
    e2e: z.boolean().optional(),
  }),
});

/** One device's ciphertext of an E2E message: opaque to the server (base64 of libsignal's bytes). */
export const e2eEnvelope = z.object({
  userId: tokenId,
  deviceId: tokenId,
  registrationId: z.number().int().min(1).max(16380),
  type: z.number().int().min(0).max(255),
  body: z.string().min(1).max(131_072),
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
    /** Pairwise: one ciphertext per device (recipients' and the sender's other devices). */
    envelopes: z.array(e2eEnvelope).min(1).max(10_000).optional(),
    /** Groups: the envelopes carry the sender's sender key (they may cover part of the devices). */
    distribution: z.boolean().optional(),
    /** Encrypted uploads the ciphertexts point to (keys inside them): where recipients may download. */
    mediaIds: z.array(tokenId).min(1).max(10).optional(),
    /** Groups: one sender-key ciphertext for every member device. */
    senderKey: z
      .object({ body: z.string().min(1).max(131_072), distributionVersion: z.number().int().nonnegative() })
      .optional(),
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
  z.object({
    type: z.literal('location'),
    /** "<latitude>,<longitude>" in decimal degrees: one string, so it is sealed like a text. */
    coordinates: z.string().min(3).max(200),
    name: z.string().min(1).max(256).optional(),
    address: z.string().min(1).max(512).optional(),
    /** Live location: shared (updated by MessageEdited) until then, unless stopped earlier. */
    liveUntil: isoTime.optional(),
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
    /** A forwarded copy: how many hops from the original (1: forwarded once). */
    forwardCount: z.number().int().min(1).max(1_000_000).optional(),
    /** Members who blocked the sender when it was decided (1:1 only): the message is never delivered to them. */
    withheldFrom: z.array(tokenId).min(1).max(1).optional(),
    /** Disappearing messages: when it expires (sentAt plus the timer it was sent under). */
    expiresAt: isoTime.optional(),
    /**
     * Disappearing messages: the key its personal fields are sealed with instead of the sender's
     * (contentKeyFor), destroyed once the message has expired.
     */
    contentKey: z
      .string()
      .regex(/^expiry-\d{1,12}$/)
      .optional(),
    sentAt: isoTime,
  }),
  // What the sender wrote or showed; the media's size, type and hash describe an object that
  // `chatctl forget` deletes. E2E ciphertexts are unreadable to the server already.
  // A disappearing message's are sealed with its content key instead (keyedBy), destroyed at expiry.
  personal: [
    { path: 'content.text', owner: 'senderUserId', keyedBy: 'contentKey' },
    { path: 'content.caption', owner: 'senderUserId', keyedBy: 'contentKey' },
    { path: 'content.fileName', owner: 'senderUserId', keyedBy: 'contentKey' },
    { path: 'content.thumbnail', owner: 'senderUserId', keyedBy: 'contentKey' },
    { path: 'content.coordinates', owner: 'senderUserId', keyedBy: 'contentKey' },
    { path: 'content.name', owner: 'senderUserId', keyedBy: 'contentKey' },
    { path: 'content.address', owner: 'senderUserId', keyedBy: 'contentKey' },
  ],
  upcasters: plaintextV1,
});

/** One device's part of a MessageDelivered: the messages it acknowledged. */
export const deviceDelivery = z.object({
  userId: tokenId,
  deviceId: tokenId,
  messageIds: z.array(snowflakeId).min(1).max(500),
});

/**
 * v2 lists every device whose acknowledgements of this conversation a gateway gathered in one flush:
 * one event (one append) per conversation and flush instead of one per device and ack. v1 named a
 * single device; it is upcast to a list of one.
 */
export const MessageDeliveredV2 = defineEvent({
  type: 'MessageDelivered',
  version: 2,
  aggregate: 'conversation',
  subjectKind: 'rcpt',
  description: 'Recipient devices acknowledged that they hold these messages.',
  schema: z.object({
    conversationId: tokenId,
    deliveries: z.array(deviceDelivery).min(1).max(1024),
    deliveredAt: isoTime,
  }),
  upcasters: {
    1: (data: unknown) => {
      const { conversationId, userId, deviceId, messageIds, deliveredAt } = data as Record<string, unknown>;
      return { conversationId, deliveries: [{ userId, deviceId, messageIds }], deliveredAt };
    },
  },
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
export type MessageDelivered = EventEnvelope<'MessageDelivered', Data<typeof MessageDeliveredV2>>;
export type DeviceDelivery = z.infer<typeof deviceDelivery>;
export type MessageRead = EventEnvelope<'MessageRead', Data<typeof MessageReadV1>>;
export type ConversationEvent =
  | ConversationCreated
  | MessageSent
  | MessageDelivered
  | MessageRead
  | GroupEvent
  | MessageActionEvent
  | SecurityCodeChanged
  | DisappearingEvent;

export const conversationEvents = [
  ConversationCreatedV1,
  MessageSentV2,
  MessageDeliveredV2,
  MessageReadV1,
] as const;
