import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient } from '#libs/cassandra';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUp } from '../support/chat-users.js';

const WINDOW = 3600;

async function scenario(
  mode: 'transient' | 'permanent',
): Promise<{ timelineTtl: number | null; inboxTtl: number | null; inboxAfterAck: number }> {
  const stack = await ChatStack.start({
    overrides: { RETENTION_MODE: mode, RETENTION_WINDOW_SECONDS: String(WINDOW) },
  });
  const cql = createCassandraClient(stack.env.cassandra);
  try {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await alice.connect();
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    await alice.chat.send(conversationId, 'hello');
    const inboxQuery =
      'SELECT TTL(payload) AS ttl FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = 0';
    await eventually(
      async () => (await cql.execute(inboxQuery, [bob.userId, bob.deviceId])).rowLength === 1,
      10_000,
      'inbox entry',
    );
    const inboxTtl = (await cql.execute(inboxQuery, [bob.userId, bob.deviceId])).first().get('ttl') as
      number | null;
    const timelineTtl = (
      await cql.execute(
        'SELECT TTL(body) AS ttl FROM messages_by_conversation WHERE conversation_id = ? AND bucket = 0',
        [conversationId],
      )
    )
      .first()
      .get('ttl') as number | null;

    await bob.connect();
    await bob.waitForMessages(conversationId, 1);
    await eventually(
      async () => (await cql.execute(inboxQuery, [bob.userId, bob.deviceId])).rowLength === 0,
      10_000,
      'entry gone after ack',
    );
    const inboxAfterAck = (await cql.execute(inboxQuery, [bob.userId, bob.deviceId])).rowLength;
    await Promise.all([alice.disconnect(), bob.disconnect()]);
    return { timelineTtl, inboxTtl, inboxAfterAck };
  } finally {
    await cql.shutdown();
    await stack.stop();
  }
}

describe('retention settings', () => {
  test('transient: timelines and inbox entries expire with the window; an acknowledged entry is deleted', async () => {
    const r = await scenario('transient');
    assert.ok(
      r.timelineTtl !== null && r.timelineTtl > WINDOW - 120 && r.timelineTtl <= WINDOW,
      `timeline TTL ${r.timelineTtl}`,
    );
    assert.ok(
      r.inboxTtl !== null && r.inboxTtl > WINDOW - 120 && r.inboxTtl <= WINDOW,
      `inbox TTL ${r.inboxTtl}`,
    );
    assert.equal(r.inboxAfterAck, 0);
  });

  test('permanent: history never expires; the inbox still empties on acknowledgement', async () => {
    const r = await scenario('permanent');
    assert.equal(r.timelineTtl, null);
    assert.equal(r.inboxTtl, null);
    assert.equal(r.inboxAfterAck, 0);
  });
});
