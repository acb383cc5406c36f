import { randomUUID } from 'node:crypto';
import type { InboxMessage, Receipt } from '#libs/protocol';
import { startLoadStack } from '../support/load-stack.js';
import { setUpPairs } from '../support/pairs.js';
import { progress } from '../support/report.js';
import { Latencies, round } from '../support/stats.js';

/**
 * Workload 2: time from a send until the sender's device sees DELIVERED (the recipient's SDK acks on
 * receipt) and READ (the recipient marks it read as soon as it has it). One message in flight per pair.
 */
export async function receipts(o: { pairs: number; messages: number }): Promise<{
  rows: Array<Record<string, number | string>>;
  ok: boolean;
}> {
  const stack = await startLoadStack();
  try {
    const pairs = await setUpPairs(stack, o.pairs);
    const delivered = new Latencies();
    const read = new Latencies();
    let missing = 0;
    await Promise.all(
      pairs.map(async (pair, p) => {
        for (let i = p; i < o.messages; i += pairs.length) {
          const t0 = performance.now();
          const clientMessageId = randomUUID();
          const seen: Receipt[] = [];
          const sent: { messageId?: string } = {};
          let resolveDelivered!: () => void;
          let resolveRead!: () => void;
          const gotDelivered = new Promise<void>((r) => (resolveDelivered = r));
          const gotRead = new Promise<void>((r) => (resolveRead = r));
          // Receipts and the live message may overtake the sender's SENT answer: keep them until the id is known.
          const check = (): void => {
            const id = sent.messageId;
            if (!id) return;
            for (const r of seen) {
              if (r.status === 'delivered' && r.messageIds?.includes(id)) resolveDelivered();
              if (r.status === 'read' && r.upToMessageId === id) resolveRead();
            }
          };
          const onReceipt = (r: Receipt): void => {
            if (r.conversationId !== pair.conversationId) return;
            seen.push(r);
            check();
          };
          const onMessage = (m: InboxMessage): void => {
            if (m.conversationId === pair.conversationId && m.clientMessageId === clientMessageId)
              void pair.recipient.markRead(pair.conversationId, m.messageId).catch(() => undefined);
          };
          pair.sender.on('receipt', onReceipt);
          pair.recipient.on('message', onMessage);
          sent.messageId = (
            await pair.sender.send(pair.conversationId, `receipt ${i}`, { clientMessageId })
          ).messageId;
          check();
          const timeout = (): Promise<'timeout'> =>
            new Promise((r) => setTimeout(() => r('timeout'), 10_000));
          if ((await Promise.race([gotDelivered.then(() => 'ok' as const), timeout()])) === 'ok')
            delivered.add(performance.now() - t0);
          else missing++;
          if ((await Promise.race([gotRead.then(() => 'ok' as const), timeout()])) === 'ok')
            read.add(performance.now() - t0);
          else missing++;
          pair.sender.off('receipt', onReceipt);
          pair.recipient.off('message', onMessage);
        }
      }),
    );
    progress(`  ${delivered.count} delivered and ${read.count} read receipts seen, ${missing} missing`);
    const row = (what: string, l: Latencies): Record<string, number | string> => {
      const s = l.summary();
      return {
        receipt: what,
        count: l.count,
        p50: round(s.p50, 2),
        p99: round(s.p99, 2),
        max: round(s.max, 2),
      };
    };
    return { rows: [row('DELIVERED', delivered), row('READ', read)], ok: missing === 0 };
  } finally {
    await stack.stop();
  }
}
