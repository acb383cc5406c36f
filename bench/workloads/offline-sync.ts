import { signUpMany, startLoadStack } from '../support/load-stack.js';
import { progress } from '../support/report.js';
import { round } from '../support/stats.js';

/**
 * Workload 3: N messages wait in an offline device's inbox; the time from its connect() until it holds
 * the last one, checking each arrives exactly once and in order.
 */
export async function offlineSync(o: { messages: number }): Promise<{
  row: Record<string, number>;
  ok: boolean;
}> {
  const stack = await startLoadStack();
  try {
    const [alice, bob] = await signUpMany(stack, 2);
    const sender = await alice!.connect();
    const { conversationId } = await sender.openDirect(bob!.userId);
    progress(`  sending ${o.messages} messages to an offline device...`);
    const CHUNK = 500;
    for (let i = 0; i < o.messages; i += CHUNK) {
      await Promise.all(
        Array.from({ length: Math.min(CHUNK, o.messages - i) }, (_, k) =>
          sender.send(conversationId, `offline ${i + k}`),
        ),
      );
    }
    // Wait for the projector to have written every inbox entry before the device comes back.
    for (;;) {
      const list = await sender.listConversations();
      if ((list.conversations[0]?.lastMessage?.seq ?? 0) >= o.messages) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    progress('  all projected; connecting the offline device...');
    const t0 = performance.now();
    await bob!.connect();
    // The SDK resolves connect() once its first sync is answered, after every waiting entry was sent.
    await bob!.waitForMessages(conversationId, o.messages, 120_000);
    const tLast = performance.now();
    const seqs = bob!.of(conversationId).map((m) => m.seq);
    const inOrder = seqs.every((s, i) => s === i + 1);
    const row = {
      messages: o.messages,
      received: seqs.length,
      connectToLastMs: round(tLast - t0),
      messagesPerSecond: round(seqs.length / ((tLast - t0) / 1000)),
      inOrder: inOrder ? 1 : 0,
    };
    return { row, ok: inOrder && seqs.length === o.messages };
  } finally {
    await stack.stop();
  }
}
