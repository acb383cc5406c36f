import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { isoTime, snowflakeId, tokenId } from './ids.schema.js';

/**
 * What members do with a message after it was sent (issue 19). Each goes on the conversation's `.msg`
 * subject, like MessageSent, so the projector applies it in stream order after the message it names.
 * `clientActionId` is the acting device's id for the action: the append's Nats-Msg-Id is made of it,
 * so a resend stores nothing twice.
 */
const actionBase = {
  conversationId: tokenId,
  messageId: snowflakeId,
  userId: tokenId,
  deviceId: tokenId,
  clientActionId: z.string().min(1).max(64),
};

export const MessageEditedV1 = defineEvent({
  type: 'MessageEdited',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'msg',
  description:
    "The sender changed a text message's text or a media message's caption, or a live location's point (or stopped it); members see the latest version, marked edited.",
  schema: z.object({
    ...actionBase,
    /** Exactly one: the new text of a text message, or the new caption of a media message. */
    text: z.string().min(1).max(65_536).optional(),
    caption: z.string().min(1).max(4096).optional(),
    /** Live location: the sender's point now, "<latitude>,<longitude>" (sealed). */
    coordinates: z.string().min(3).max(200).optional(),
    /** Live location: the sender stopped sharing. */
    liveStopped: z.literal(true).optional(),
    /** A disappearing message's edit is sealed with the message's own content key (MessageSent.contentKey). */
    contentKey: z
      .string()
      .regex(/^expiry-\d{1,12}$/)
      .optional(),
    editedAt: isoTime,
  }),
  // The new words are the sender's, sealed like MessageSent's.
  personal: [
    { path: 'text', owner: 'userId', keyedBy: 'contentKey' },
    { path: 'caption', owner: 'userId', keyedBy: 'contentKey' },
    { path: 'coordinates', owner: 'userId', keyedBy: 'contentKey' },
  ],
});

export const MessageDeletedV1 = defineEvent({
  type: 'MessageDeleted',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'msg',
  description:
    'A message was deleted for everyone, by its sender or by a group admin (byAdmin): its content leaves every read model and members see a placeholder.',
  schema: z.object({
    ...actionBase,
    byAdmin: z.boolean(),
    deletedAt: isoTime,
  }),
});

export const MessageHiddenV1 = defineEvent({
  type: 'MessageHidden',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'msg',
  description: "A member deleted a message for themselves: it is hidden on that member's devices only.",
  schema: z.object({
    ...actionBase,
    hiddenAt: isoTime,
  }),
});

export const MessageReactedV1 = defineEvent({
  type: 'MessageReacted',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'msg',
  description:
    "A member reacted to a message with one emoji, replacing their earlier reaction; without emoji, the member's reaction is removed.",
  schema: z.object({
    ...actionBase,
    /** One emoji grapheme; absent: the reaction is removed. */
    emoji: z.string().min(1).max(32).optional(),
    reactedAt: isoTime,
  }),
});

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type MessageEdited = EventEnvelope<'MessageEdited', Data<typeof MessageEditedV1>>;
export type MessageDeleted = EventEnvelope<'MessageDeleted', Data<typeof MessageDeletedV1>>;
export type MessageHidden = EventEnvelope<'MessageHidden', Data<typeof MessageHiddenV1>>;
export type MessageReacted = EventEnvelope<'MessageReacted', Data<typeof MessageReactedV1>>;
export type MessageActionEvent = MessageEdited | MessageDeleted | MessageHidden | MessageReacted;

export const messageActionEvents = [
  MessageEditedV1,
  MessageDeletedV1,
  MessageHiddenV1,
  MessageReactedV1,
] as const;
