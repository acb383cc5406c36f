import { z } from 'zod';
import { defineEvent } from '../event-definition.js';
import type { EventEnvelope } from '../envelope.js';
import { isoTime, snowflakeId, tokenId } from './ids.schema.js';

/**
 * Disappearing messages (issue 19): a conversation's timer, and the expiry of each message sent while
 * it was on. The timer is a meta event (checked for concurrency like group settings, and folded into the
 * state a send is decided against), so a MessageSent carries the expiry it was sent under: changing the
 * timer never changes earlier messages.
 */
export const disappearingTimer = z.enum(['off', '24h', '7d', '90d']);
export type DisappearingTimer = z.infer<typeof disappearingTimer>;

/** What each named timer lasts. A deployment may shorten them for tests only (gateway config). */
export const DISAPPEARING_SECONDS: Readonly<Record<Exclude<DisappearingTimer, 'off'>, number>> = {
  '24h': 86_400,
  '7d': 7 * 86_400,
  '90d': 90 * 86_400,
};

export const DisappearingTimerChangedV1 = defineEvent({
  type: 'DisappearingTimerChanged',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'meta',
  description:
    'A member turned disappearing messages on (24h, 7d, 90d) or off; messages sent from now on expire that long after they were sent. Shown as a system message.',
  schema: z.object({
    conversationId: tokenId,
    changedBy: tokenId,
    timer: disappearingTimer,
    /** What the timer lasts, in seconds (0 when off): the named duration, or a test deployment's short one. */
    seconds: z
      .number()
      .int()
      .min(0)
      .max(90 * 86_400),
    systemMessageId: snowflakeId,
  }),
});

export const MessageExpiredV1 = defineEvent({
  type: 'MessageExpired',
  version: 1,
  aggregate: 'conversation',
  subjectKind: 'msg',
  description:
    "A disappearing message's time ran out (appended by the projector's expiry sweeper): it leaves every timeline, inbox and preview, its media object goes when unreferenced, and the key its content was sealed with in the log is destroyed.",
  schema: z.object({
    conversationId: tokenId,
    messageId: snowflakeId,
    expiredAt: isoTime,
  }),
});

/**
 * The content of a disappearing message is sealed in the log with a key shared by the messages expiring
 * in the same slice of time, named by the slice's end (`expiry-<epoch seconds>`), rather than with its
 * sender's key; the sweeper destroys that key once the slice has ended, so the stored event no longer
 * opens (crypto-shredding; JetStream cannot rewrite a stored message, and deleting it would change the
 * seqs a rebuild assigns). A slice is 1/24 of the timer, at most an hour: content stays in the log at
 * most that long after it expired, and a 24 h timer costs one key an hour for the whole system.
 */
export function contentKeyFor(expiresAt: Date, timerSeconds: number): string {
  const slice = Math.max(1, Math.min(3600, Math.floor(timerSeconds / 24)));
  const end = Math.ceil(expiresAt.getTime() / 1000 / slice) * slice;
  return `expiry-${end}`;
}

/** The end of a content key's slice (when it may be destroyed); undefined for any other key name. */
export function contentKeyEnd(contentKey: string): Date | undefined {
  const m = /^expiry-(\d{1,12})$/.exec(contentKey);
  return m ? new Date(Number(m[1]) * 1000) : undefined;
}

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type DisappearingTimerChanged = EventEnvelope<
  'DisappearingTimerChanged',
  Data<typeof DisappearingTimerChangedV1>
>;
export type MessageExpired = EventEnvelope<'MessageExpired', Data<typeof MessageExpiredV1>>;
export type DisappearingEvent = DisappearingTimerChanged | MessageExpired;

export const disappearingEvents = [DisappearingTimerChangedV1, MessageExpiredV1] as const;
