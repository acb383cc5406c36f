import type { Receipt } from '#libs/protocol';
import type { Pair } from './pairs.js';
import { Latencies } from './stats.js';

/**
 * Delivered ticks: time from a send to its sender seeing the DELIVERED receipt naming it (the
 * recipient's SDK acknowledges on receipt). A receipt may overtake the SENT answer that tells the
 * message id: it is kept until the id is known.
 */
export class TickTracker {
  readonly latencies = new Latencies();
  private readonly sentAt = new Map<string, number>();
  private readonly early = new Map<string, number>();
  private readonly offs: Array<() => void> = [];

  constructor(pairs: readonly Pair[]) {
    for (const pair of pairs) {
      const onReceipt = (r: Receipt): void => {
        if (r.status !== 'delivered' || r.conversationId !== pair.conversationId) return;
        const now = performance.now();
        for (const id of r.messageIds ?? []) {
          const at = this.sentAt.get(id);
          if (at === undefined) {
            if (!this.early.has(id)) this.early.set(id, now);
            continue;
          }
          this.sentAt.delete(id);
          this.latencies.add(now - at);
        }
      };
      pair.sender.on('receipt', onReceipt);
      this.offs.push(() => pair.sender.off('receipt', onReceipt));
    }
  }

  /** The send of `messageId` started at `at` (performance.now()) and was just answered. */
  sent(messageId: string, at: number): void {
    const seen = this.early.get(messageId);
    if (seen !== undefined) {
      this.early.delete(messageId);
      this.latencies.add(seen - at);
    } else this.sentAt.set(messageId, at);
  }

  /** Sends whose tick never came. */
  get missing(): number {
    return this.sentAt.size;
  }

  stop(): void {
    for (const off of this.offs) off();
  }
}
