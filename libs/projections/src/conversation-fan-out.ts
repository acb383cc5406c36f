import type { DeviceBodies } from '#libs/nats';
import type { InboxMessage, MessageUpdate, Receipt } from '#libs/protocol';
import type { LogPosition } from '#libs/read-models';

export interface Recipient {
  readonly userId: string;
  /** A device that must not get the entry (the one that sent the message). */
  readonly exceptDeviceId?: string;
}

export type FanOutPayload =
  | {
      kind: 'message';
      data: Omit<InboxMessage, 'entryId'>;
      /** A pairwise E2E message: only these devices get it, each with its own body (e2e-payload.ts). */
      bodies?: DeviceBodies;
    }
  | { kind: 'receipt'; data: Omit<Receipt, 'entryId'> }
  | { kind: 'update'; data: Omit<MessageUpdate, 'entryId'> };

/** An entry published live whose inbox rows are not written yet: the caller writes them in its wave. */
export interface PublishedEntry {
  /** Inbox rows the entry needs (one per recipient device). */
  readonly count: number;
  /** Writes the inbox rows of the devices that have not acknowledged the entry by now. */
  persist(ttlSeconds?: number): Promise<void>;
}

/**
 * What the conversation projection hands each message and receipt to for delivery: the projector's
 * FanOut (live delivery to the gateways first, then inbox rows), or a rebuild's fan-out that delivers
 * nothing, because inboxes are delivery state that a replay must not fill again.
 */
export abstract class ConversationFanOut {
  /**
   * Resolves once recipients' device lists include every device added before now (the projector waits
   * for its users projection). Once per batch of events pulled together, before publishing them.
   */
  ready(): Promise<void> {
    return Promise.resolve();
  }

  /** Between publishing a wave's entries and writing them: nothing, but a test may hold persistence here. */
  beforeWrites(): Promise<void> {
    return Promise.resolve();
  }

  /** Publishes the entry live, before anything about it is written (after ready()). */
  abstract publish(
    position: LogPosition,
    conversationId: string,
    recipients: readonly Recipient[],
    payload: FanOutPayload,
  ): Promise<PublishedEntry>;

  /** Waits until ready, publishes, then writes the inbox rows at once. Returns how many inbox entries the entry needs. */
  async deliver(
    position: LogPosition,
    conversationId: string,
    recipients: readonly Recipient[],
    payload: FanOutPayload,
    ttlSeconds?: number,
  ): Promise<number> {
    await this.ready();
    const published = await this.publish(position, conversationId, recipients, payload);
    await this.beforeWrites();
    await published.persist(ttlSeconds);
    return published.count;
  }
}
