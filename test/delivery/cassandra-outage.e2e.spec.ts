import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deadLetterStreamName, NatsClient } from '#libs/nats';
import { eventually } from '../support/app-process.js';
import { pace } from '../support/wait.js';
import { ChatStack, SCALED_OUT } from '../support/chat-stack.js';
import { linkDevice, signUp, type TestDevice } from '../support/chat-users.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTestEnv } from '../support/test-env.js';

/*
 * Cassandra goes away under 1:1 traffic for longer than the projector's retries used to last (5
 * attempts, 200 ms doubling: about 3 s). The outage is this test's own: its processes reach Cassandra
 * through a proxy that the test cuts, while the shared server and everyone else's tests carry on (with
 * one node the driver keeps to the contact point it was given, so no address translation is needed).
 * Sends the gateway cannot serve meanwhile are answered UNAVAILABLE and not counted: only what was
 * acknowledged (SENT) is owed to the devices.
 * Before the fix, the events applied during the outage were dead-lettered ("All host(s) tried for query
 * failed"): messages lost for their recipients and `seq` numbers handed out twice.
 */
const PAIRS = 3;
const OUTAGE_MS = 8000;
let stack: ChatStack;
let proxy: TcpProxy;

interface User {
  readonly phone: TestDevice;
  readonly laptop: TestDevice;
}

describe('a Cassandra outage under load', () => {
  before(async () => {
    const target = createTestEnv().cassandra.CASSANDRA_CONTACT_POINTS[0]!;
    const [host, port] = target.split(':');
    proxy = await TcpProxy.start(host!, Number(port ?? 9042));
    // Gateway and projector alike reach Cassandra only through the proxy.
    stack = await ChatStack.start({ ...SCALED_OUT, overrides: { CASSANDRA_CONTACT_POINTS: proxy.address } });
  });
  after(async () => {
    await stack.stop();
    await proxy.stop();
  });

  test('parks nothing, loses nothing, and keeps every seq gap-free', async () => {
    const users: User[] = [];
    for (let i = 0; i < PAIRS * 2; i++) {
      const phone = await signUp(stack);
      users.push({ phone, laptop: await linkDevice(stack, phone) });
    }
    for (const u of users) await Promise.all([u.phone.connect(), u.laptop.connect()]);
    const conversations: Array<{ id: string; a: User; b: User }> = [];
    for (let i = 0; i < PAIRS; i++) {
      const a = users[2 * i]!;
      const b = users[2 * i + 1]!;
      conversations.push({ id: (await a.phone.chat.openDirect(b.phone.userId)).conversationId, a, b });
    }
    /** Message ids acknowledged (SENT) to their sender, per conversation, and the device that sent each. */
    const acked = new Map<string, Set<string>>(conversations.map((c) => [c.id, new Set()]));
    const sentBy = new Map<string, string>();
    let stop = false;
    const traffic = conversations.flatMap((c) =>
      [c.a, c.b].map(async (sender) => {
        for (let n = 0; !stop; n++) {
          try {
            const r = await sender.phone.chat.send(c.id, `m${n}`);
            acked.get(c.id)!.add(r.messageId);
            sentBy.set(r.messageId, sender.phone.deviceId);
          } catch {
            // not acknowledged: nothing was promised
          }
          await pace(100);
        }
      }),
    );
    await eventually(
      async () => [...acked.values()].every((ids) => ids.size >= 5),
      20_000,
      'traffic flowing in every conversation',
    );
    proxy.cut();
    await eventually(
      async () => (await stack.projector!.get('/readyz')).status === 503,
      10_000,
      'the projector reports not ready',
    );
    await pace(OUTAGE_MS); // how long Cassandra stays out of reach
    proxy.restore();
    // Traffic goes on until every conversation has sends acknowledged again after the outage.
    const atRestore = new Map([...acked].map(([id, ids]) => [id, ids.size]));
    await eventually(
      async () => [...acked].every(([id, ids]) => ids.size >= atRestore.get(id)! + 5),
      60_000,
      'sends acknowledged again',
    );
    stop = true;
    await Promise.all(traffic);
    await eventually(
      async () => (await stack.projector!.get('/readyz')).status === 200,
      30_000,
      'the projector ready again',
    );

    for (const c of conversations) {
      const ids = acked.get(c.id)!;
      for (const device of [c.a.phone, c.a.laptop, c.b.phone, c.b.laptop]) {
        const expected = [...ids].filter((id) => sentBy.get(id) !== device.deviceId);
        await eventually(
          async () => expected.every((id) => device.of(c.id).some((m) => m.messageId === id)),
          60_000,
          `every acknowledged message on ${device.deviceId}`,
        );
      }
    }
    const nats = await NatsClient.connect(stack.env.nats, 'outage-test');
    try {
      const dlq = await nats.jsm.streams.info(deadLetterStreamName(nats.topology));
      assert.equal(dlq.state.messages, 0, 'nothing dead-lettered');
    } finally {
      await nats.close();
    }
    for (const c of conversations) {
      const ids = acked.get(c.id)!;
      for (const device of [c.a.phone, c.a.laptop, c.b.phone, c.b.laptop]) {
        // A device sees its own sends only from its other device: the phones sent, the laptops see all.
        const got = device.of(c.id);
        assert.equal(new Set(got.map((m) => m.messageId)).size, got.length, 'each message once');
        const seqs = got.map((m) => m.seq).sort((x, y) => x - y);
        assert.equal(new Set(seqs).size, seqs.length, `no seq given twice on ${device.deviceId}`);
        if (device === c.a.laptop || device === c.b.laptop) {
          assert.equal(got.length, ids.size, `every acknowledged message on ${device.deviceId}`);
          assert.deepEqual(
            seqs,
            Array.from({ length: seqs.length }, (_, i) => i + 1),
            'gap-free seq',
          );
        }
      }
    }
  });
});
