import { reject, rejected, type DomainError } from '../errors.js';

/** From this many hops on a message is "forwarded many times" (the protocol's FORWARDED_MANY_TIMES). */
export const FORWARDED_MANY_TIMES = 5;
/** Chats one forward may go to at once; a message forwarded many times goes to one. */
export const FORWARD_MAX_CHATS = 5;

/** What the command side knows of the message to forward, read from the timeline. */
export interface ForwardSource {
  readonly kind: 'text' | 'media' | 'e2e' | 'system' | 'location';
  readonly deleted: boolean;
  readonly viewOnce: boolean;
  /** Hops it has made so far (0: an original message). */
  readonly forwardCount: number;
}

/**
 * Whether a message may be forwarded to `chats` conversations at once, and the forward count its copies
 * carry. Each copy is then a SendMessage of its own, decided against that conversation's membership.
 */
export function decideForward(
  source: ForwardSource | undefined,
  chats: number,
): { ok: true; forwardCount: number } | { ok: false; error: DomainError } {
  if (!source || source.deleted) return rejected(reject('NOT_FOUND', 'no such message in this conversation'));
  if (source.kind === 'system' || source.kind === 'e2e')
    return rejected(reject('VALIDATION_FAILED', `a ${source.kind} message cannot be forwarded`));
  if (source.viewOnce) return rejected(reject('VALIDATION_FAILED', 'view-once media cannot be forwarded'));
  if (chats < 1 || chats > FORWARD_MAX_CHATS)
    return rejected(
      reject('VALIDATION_FAILED', `a message is forwarded to 1-${FORWARD_MAX_CHATS} chats at once`),
    );
  if (source.forwardCount >= FORWARDED_MANY_TIMES && chats > 1)
    return rejected(
      reject('FORWARDED_MANY_TIMES', 'a message forwarded many times goes to one chat at a time', {
        limit: 1,
      }),
    );
  return { ok: true, forwardCount: source.forwardCount + 1 };
}
