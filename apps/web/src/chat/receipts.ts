import type { Receipt } from '#libs/protocol';
import { compareIds, type TickStatus, type TimelineMessage } from './model.js';

/**
 * What the receipts of one conversation say about my messages. In a direct chat the other person's
 * receipts move the ticks; in a group only the aggregates (`allMembers`) do: two ticks when every
 * member holds the message, blue when every member has read it ("read by all").
 */
export class ReceiptBook {
  private readonly delivered = new Set<string>();
  private readUpTo?: string;

  apply(r: Receipt, myUserId: string, group: boolean): boolean {
    if (r.userId === myUserId) return false; // my other devices' reads: not ticks
    if (group && !r.allMembers) return false;
    if (r.status === 'delivered') {
      for (const id of r.messageIds ?? []) this.delivered.add(id);
      if (r.upToMessageId) this.raiseRead(r.upToMessageId, false);
      return true;
    }
    if (r.upToMessageId) this.raiseRead(r.upToMessageId, true);
    return true;
  }

  private deliveredUpTo?: string;

  private raiseRead(id: string, read: boolean): void {
    if (read) {
      if (!this.readUpTo || compareIds(id, this.readUpTo) > 0) this.readUpTo = id;
    } else if (!this.deliveredUpTo || compareIds(id, this.deliveredUpTo) > 0) this.deliveredUpTo = id;
  }

  statusOf(m: TimelineMessage): TickStatus {
    if (m.failed) return 'failed';
    if (!m.messageId) return 'pending';
    if (this.readUpTo && compareIds(m.messageId, this.readUpTo) <= 0) return 'read';
    if (this.delivered.has(m.messageId)) return 'delivered';
    if (this.deliveredUpTo && compareIds(m.messageId, this.deliveredUpTo) <= 0) return 'delivered';
    return 'sent';
  }

  /** Sets what `message.info` told about one message (after a reload, receipts already acknowledged are gone). */
  learn(messageId: string, status: 'delivered' | 'read'): void {
    if (status === 'read') this.raiseRead(messageId, true);
    else this.delivered.add(messageId);
  }
}
