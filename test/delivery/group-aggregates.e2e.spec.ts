import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Receipt } from '#libs/protocol';
import { eventually } from '../support/app-process.js';
import { quietPeriod } from '../support/wait.js';
import { ChatStack, SCALED_OUT } from '../support/chat-stack.js';
import { linkDevice, signUpMany, type TestDevice } from '../support/chat-users.js';

/*
 * A group's sender gets `read` with `allMembers: true` once every other member's read marker reached the
 * message, whether a marker moved by reading or by sending, and `delivered` with `allMembers: true` once
 * every other member holds it: exactly one of each per message.
 */
let stack: ChatStack;

const aggregates = (d: TestDevice, conversationId: string, status: Receipt['status']): Receipt[] =>
  d.receipts.filter((r) => r.conversationId === conversationId && r.status === status && r.allMembers);

/** How long after the last aggregate a repeated one would have come (16 devices, 200 messages). */
const NO_REPEAT_MS = 1500;

/**
 * Waits until a later message of the sender's reaches every member (its "delivered to all" aggregate
 * comes back): a conversation's receipts are aggregated in log order, so an aggregate still due from
 * earlier events would have come first. No read marker moves past it: nobody else sends or reads.
 */
async function laterReceiptCame(sender: TestDevice, conversationId: string): Promise<void> {
  const { messageId } = await sender.chat.send(conversationId, 'a later message');
  await sender.until(
    () => aggregates(sender, conversationId, 'delivered').some((r) => r.messageIds?.includes(messageId)),
    20_000,
    'the later message delivered to all',
  );
}

describe('group "read by all" and "delivered to all" aggregates', () => {
  before(async () => {
    stack = await ChatStack.start(SCALED_OUT);
  });
  after(() => stack.stop());

  test("the group's first read completes the aggregate (another member's marker moved by sending)", async () => {
    const [ann, bob, dan] = await signUpMany(stack, 3);
    await Promise.all([ann!, bob!, dan!].map((d) => d.connect()));
    const { conversationId: g } = await ann!.chat.createGroup('First read', [bob!.userId, dan!.userId]);
    const m = await dan!.chat.send(g, 'from dan');
    await eventually(async () => bob!.of(g).some((x) => x.messageId === m.messageId), 20_000, 'bob has it');
    const reply = await bob!.chat.send(g, 'bob replies: he has read it');
    await eventually(
      async () => ann!.of(g).some((x) => x.messageId === reply.messageId),
      20_000,
      'ann has it',
    );
    // Ann's is the first read of the group the projector sees, and the one that completes dan's message.
    await ann!.chat.markRead(g, reply.messageId);
    await eventually(
      async () => aggregates(dan!, g, 'read').some((r) => r.upToMessageId === m.messageId),
      20_000,
      'dan sees read by all',
    );
    await laterReceiptCame(dan!, g);
    assert.equal(aggregates(dan!, g, 'read').length, 1, 'once');
    await Promise.all([ann!, bob!, dan!].map((d) => d.disconnect()));
  });

  test('markers moved only by sending complete "read by all"', async () => {
    const [ann, bob, dan] = await signUpMany(stack, 3);
    await Promise.all([ann!, bob!, dan!].map((d) => d.connect()));
    const { conversationId: g } = await ann!.chat.createGroup('Only sends', [bob!.userId, dan!.userId]);
    const m = await dan!.chat.send(g, 'from dan');
    for (const d of [ann!, bob!])
      await eventually(async () => d.of(g).some((x) => x.messageId === m.messageId), 20_000, 'received');
    await ann!.chat.send(g, 'ann answers');
    await bob!.chat.send(g, 'bob answers');
    await eventually(
      async () => aggregates(dan!, g, 'read').some((r) => r.upToMessageId === m.messageId),
      20_000,
      'dan sees read by all without anyone sending a read',
    );
    await laterReceiptCame(dan!, g);
    assert.equal(aggregates(dan!, g, 'read').length, 1, 'once');
    await Promise.all([ann!, bob!, dan!].map((d) => d.disconnect()));
  });

  test('8 members x 2 devices sending and reading at once: every message gets one read and one delivered aggregate', async () => {
    const MEMBERS = 8;
    const PER_MEMBER = 25;
    const phones = await signUpMany(stack, MEMBERS);
    const laptops: TestDevice[] = [];
    for (const p of phones) laptops.push(await linkDevice(stack, p));
    await Promise.all([...phones, ...laptops].map((d) => d.connect()));
    const { conversationId: g } = await phones[0]!.chat.createGroup(
      'Busy',
      phones.slice(1).map((p) => p.userId),
    );
    await eventually(
      async () => [...phones, ...laptops].every((d) => d.of(g).length >= 1),
      20_000,
      'everyone sees the group',
    );
    /** Each member's messages in the order sent (one device sends them one after the other). */
    const sent = new Map<string, string[]>(phones.map((p) => [p.userId, []]));
    let seed = 42;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    await Promise.all(
      phones.map(async (p, i) => {
        for (let n = 0; n < PER_MEMBER; n++) {
          sent.get(p.userId)!.push((await p.chat.send(g, `${i}/${n}`)).messageId);
          // Now and then read up to the latest message this member has, from either device.
          if (random() < 0.3) {
            const reader = random() < 0.5 ? p : laptops[i]!;
            const latest = reader
              .of(g)
              .filter((x) => !x.system)
              .at(-1);
            if (latest) await reader.chat.markRead(g, latest.messageId);
          }
        }
      }),
    );
    const total = MEMBERS * PER_MEMBER;
    for (const [i, p] of phones.entries()) {
      const own = sent.get(p.userId)!.length;
      await eventually(
        async () => p.of(g).filter((x) => !x.system).length >= total - own,
        60_000,
        `phone ${i} has every message`,
      );
    }
    // Everyone reads to the end, so every message is read by all.
    const last = [...laptops[0]!.of(g)].sort((a, b) => a.seq - b.seq).at(-1)!;
    await Promise.all(phones.map((p) => p.chat.markRead(g, last.messageId)));

    for (const [i, p] of phones.entries()) {
      const mine = sent.get(p.userId)!;
      for (const device of [p, laptops[i]!]) {
        await eventually(
          async () =>
            aggregates(device, g, 'read').some((r) => r.upToMessageId === mine.at(-1)) &&
            mine.every((id) => aggregates(device, g, 'delivered').some((r) => r.messageIds?.includes(id))),
          60_000,
          `member ${i}: read and delivered aggregates for all its messages`,
        );
      }
    }
    // Sixteen senders have no one later receipt to wait for (a marker each would move read markers and
    // add aggregates of its own): a repeated aggregate would come within this quiet period.
    await quietPeriod(NO_REPEAT_MS);
    for (const [i, p] of phones.entries()) {
      const mine = sent.get(p.userId)!;
      const order = new Map(mine.map((id, n) => [id, n]));
      for (const device of [p, laptops[i]!]) {
        // Read aggregates are "up to": each covers the messages after the previous one, so none repeats
        // and they only move forward.
        const ups = aggregates(device, g, 'read').map((r) => order.get(r.upToMessageId!));
        assert.ok(
          ups.every((n) => n !== undefined),
          `member ${i}: read aggregates name its own messages`,
        );
        assert.equal(new Set(ups).size, ups.length, `member ${i}: no read aggregate twice`);
        const delivered = aggregates(device, g, 'delivered').flatMap((r) => r.messageIds ?? []);
        assert.deepEqual([...delivered].sort(), [...mine].sort(), `member ${i}: each delivered to all once`);
      }
    }
    await Promise.all([...phones, ...laptops].map((d) => d.disconnect()));
  });
});
