import type { InboxMessage, Receipt } from '#libs/protocol';
import type { LogPosition } from '#libs/read-models';

export interface Recipient {
  readonly userId: string;
  /** A device that must not get the entry (the one that sent the message). */
  readonly exceptDeviceId?: string;
}

export type FanOutPayload =
  | { kind: 'message'; data: Omit<InboxMessage, 'entryId'> }
  | { kind: 'receipt'; data: Omit<Receipt, 'entryId'> };

/**
 * What the conversation projection hands each message and receipt to for delivery: the projector's
 * FanOut (inbox entries, then live delivery to the gateways), or a rebuild's fan-out that delivers
 * nothing, because inboxes are delivery state that a replay must not fill again.
 */
export abstract class ConversationFanOut {
  /** Returns how many inbox entries it wrote. */
  abstract deliver(
    position: LogPosition,
    conversationId: string,
    recipients: readonly Recipient[],
    payload: FanOutPayload,
    ttlSeconds?: number,
  ): Promise<number>;
}
