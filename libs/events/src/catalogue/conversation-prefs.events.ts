import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { snowflakeId, tokenId } from './ids.schema.js';

/**
 * A user's own view of their chats (issue 19): archived and pinned conversations, starred messages. On
 * the user's subject (`chat.user.<userId>`), like mutes: they are the user's, not the conversation's, and
 * "at most 3 pinned" is a rule over all of the user's conversations, which only the user aggregate sees.
 */
export const ConversationArchivedV1 = defineEvent({
  type: 'ConversationArchived',
  version: 1,
  aggregate: 'user',
  description: 'The user archived a conversation (archived: true) or took it out of the archive.',
  schema: z.object({ userId: tokenId, conversationId: tokenId, archived: z.boolean() }),
});

export const ConversationPinnedV1 = defineEvent({
  type: 'ConversationPinned',
  version: 1,
  aggregate: 'user',
  description: 'The user pinned a conversation to the top of their list (at most 3), or unpinned it.',
  schema: z.object({ userId: tokenId, conversationId: tokenId, pinned: z.boolean() }),
});

export const MessageStarredV1 = defineEvent({
  type: 'MessageStarred',
  version: 1,
  aggregate: 'user',
  description: 'The user starred a message of one of their conversations (starred: true), or unstarred it.',
  schema: z.object({
    userId: tokenId,
    conversationId: tokenId,
    messageId: snowflakeId,
    starred: z.boolean(),
  }),
});

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type ConversationArchived = EventEnvelope<'ConversationArchived', Data<typeof ConversationArchivedV1>>;
export type ConversationPinned = EventEnvelope<'ConversationPinned', Data<typeof ConversationPinnedV1>>;
export type MessageStarred = EventEnvelope<'MessageStarred', Data<typeof MessageStarredV1>>;
export type ConversationPrefsEvent = ConversationArchived | ConversationPinned | MessageStarred;

export const conversationPrefsEvents = [
  ConversationArchivedV1,
  ConversationPinnedV1,
  MessageStarredV1,
] as const;
