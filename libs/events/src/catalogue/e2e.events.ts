import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { snowflakeId, tokenId } from './ids.schema.js';

/**
 * A member's E2E identity key was replaced (their USERS event IdentityKeyChanged with `replaced`): the
 * security code the others verify with them changed. On the conversation's `meta` subject, so it takes a
 * seq like any system message, in every conversation with that user.
 */
export const SecurityCodeChangedV1 = defineEvent({
  type: 'SecurityCodeChanged',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'meta',
  description:
    'A member\'s identity key changed: the conversation shows a "security code changed" system message.',
  schema: z.object({
    conversationId: tokenId,
    userId: tokenId,
    systemMessageId: snowflakeId,
  }),
});

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type SecurityCodeChanged = EventEnvelope<'SecurityCodeChanged', Data<typeof SecurityCodeChangedV1>>;

export const e2eConversationEvents = [SecurityCodeChangedV1] as const;
