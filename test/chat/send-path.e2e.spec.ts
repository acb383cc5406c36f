import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { conversationSubject, EVENT_HEADERS } from '#libs/events';
import { NatsClient, partitionStreamName } from '#libs/nats';
import { createCassandraClient } from '#libs/cassandra';
import { eventually } from '../support/app-process.js';
import { clientMessageRecorded } from '../support/rows.js';
import { outlast } from '../support/wait.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUpMany } from '../support/chat-users.js';
import { FrameSocket } from '../support/frame-socket.js';

/*
 * The send path costs one append: no client-id read on a first send (a resend only after the client
 * marks it as one), no read of the group's meta subject per send (membership comes from a cache that the
 * meta events keep current), and old receipts in the log still replay after MessageDelivered v2.
 */
let stack: ChatStack;
let nats: NatsClient;

/** The stream's de-duplication window in this test: as short as JetStream allows (nanoseconds in config). */
const DUPLICATE_WINDOW_MS = 1_000;

interface SendAnswer {
  messageId: string;
  duplicate: boolean;
}

describe('the send path', () => {
  before(async () => {
    stack = await ChatStack.start({ gateways: 2 });
    nats = await NatsClient.connect(stack.env.nats, 'send-path-test');
  });
  after(async () => {
    await nats.nc.close();
    await stack.stop();
  });

  test("a resend marked as such after JetStream's duplicate window still answers the first message", async () => {
    const [ann, bob] = await signUpMany(stack, 2);
    await bob!.connect();
    const raw = await FrameSocket.open(stack.wsUrls[0]!, ann!.tokens.accessToken);
    const opened = await raw.request('conversation.open_direct', { userId: bob!.userId });
    const { conversationId } = opened.data as { conversationId: string };
    // The window as short as JetStream allows in a test: one second.
    const stream = partitionStreamName(nats.topology, 0);
    const info = await nats.jsm.streams.info(stream);
    await nats.jsm.streams.update(stream, {
      ...info.config,
      duplicate_window: DUPLICATE_WINDOW_MS * 1_000_000,
    });
    try {
      const clientMessageId = randomUUID();
      const send = (extra: object = {}): Promise<SendAnswer> =>
        raw.request('message.send', { conversationId, clientMessageId, text: 'once', ...extra }).then((a) => {
          assert.equal(a.type, 'result', JSON.stringify(a.error));
          return a.data as SendAnswer;
        });
      const first = await send();
      assert.equal(first.duplicate, false);
      await bob!.waitForMessages(conversationId, 1);
      const cql = createCassandraClient(stack.env.cassandra);
      try {
        await eventually(
          () => clientMessageRecorded(cql, ann!.userId, ann!.deviceId, clientMessageId),
          20_000,
          'the durable client-id record',
        );
      } finally {
        await cql.shutdown();
      }
      await outlast(DUPLICATE_WINDOW_MS, 500); // JetStream forgets the msg id: only the record can answer
      const resent = await send({ resend: true });
      assert.equal(resent.messageId, first.messageId, 'the durable record answers a marked resend');
      assert.equal(resent.duplicate, true);
      // A copy stored by the resend would reach Bob before a later message of the conversation.
      const marker = await raw.request('message.send', {
        conversationId,
        clientMessageId: randomUUID(),
        text: 'marker',
      });
      await bob!.waitForMessage((marker.data as SendAnswer).messageId);
      assert.equal(
        bob!.of(conversationId).filter((m) => m.clientMessageId === clientMessageId).length,
        1,
        'stored once',
      );
    } finally {
      await nats.jsm.streams.update(stream, info.config);
      raw.ws.close();
      await bob!.disconnect();
    }
  });

  test("a member removed on another gateway cannot send through this gateway's cached membership", async () => {
    const [ann, bob, dan] = await signUpMany(stack, 3);
    await ann!.connect({ gateway: 1 });
    const raw = await FrameSocket.open(stack.wsUrls[0]!, bob!.tokens.accessToken);
    const { conversationId: g } = await ann!.chat.createGroup('Cached', [bob!.userId, dan!.userId]);
    const send = (text: string): ReturnType<FrameSocket['request']> =>
      raw.request('message.send', { conversationId: g, clientMessageId: randomUUID(), text });
    // Bob's gateway (0) now holds the group in its cache: his next send would be decided on it.
    assert.equal((await send('while a member')).type, 'result');
    await ann!.chat.removeMember(g, bob!.userId); // through gateway 1
    const refused = await send('after the removal');
    assert.equal(refused.type, 'error');
    assert.equal(refused.error?.code, 'NOT_A_MEMBER');
    // The members left still send through the same gateway.
    const other = await FrameSocket.open(stack.wsUrls[0]!, dan!.tokens.accessToken);
    const answer = await other.request('message.send', {
      conversationId: g,
      clientMessageId: randomUUID(),
      text: 'dan',
    });
    assert.equal(answer.type, 'result');
    raw.ws.close();
    other.ws.close();
    await ann!.disconnect();
  });

  test('a MessageDelivered of version 1 in the log still replays: the sender sees DELIVERED', async () => {
    const [ann, bob] = await signUpMany(stack, 2);
    await ann!.connect();
    const { conversationId } = await ann!.chat.openDirect(bob!.userId);
    const sent = await ann!.chat.send(conversationId, 'acknowledged by an old gateway');
    // What a gateway before v2 appended for Bob's device (Bob himself never connects here).
    const v1 = {
      type: 'MessageDelivered',
      version: 1,
      id: randomUUID(),
      occurredAt: new Date().toISOString(),
      data: {
        conversationId,
        userId: bob!.userId,
        deviceId: bob!.deviceId,
        messageIds: [sent.messageId],
        deliveredAt: new Date().toISOString(),
      },
    };
    const h = natsHeaders();
    h.set(EVENT_HEADERS.type, v1.type);
    h.set(EVENT_HEADERS.version, '1');
    h.set(EVENT_HEADERS.eventId, v1.id);
    await nats.js.publish(conversationSubject(nats.topology, conversationId, 'rcpt'), JSON.stringify(v1), {
      headers: h,
      msgID: v1.id,
    });
    await eventually(
      async () =>
        ann!.receipts.some((r) => r.status === 'delivered' && r.messageIds?.includes(sent.messageId)),
      20_000,
      'ann sees DELIVERED',
    );
    const info = await ann!.chat.messageInfo(conversationId, sent.messageId);
    assert.ok(JSON.stringify(info).includes(bob!.userId), `message.info names bob: ${JSON.stringify(info)}`);
    await ann!.disconnect();
  });
});
