import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate } from '#libs/cassandra';
import { chatEventCodec, type ChatEvent } from '#libs/events';
import { EventStore, NatsClient, provisionStreams, streamTopology, type SystemStatus } from '#libs/nats';
import { AppProcess, eventually } from '../../../test/support/app-process.js';
import { chatctl } from '../../../test/support/chatctl.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import {
  conversationCreated,
  messageSent,
  subjectFor,
  userRegistered,
} from '../../../test/support/event-fixtures.js';
import { createTestEnv } from '../../../test/support/test-env.js';

interface Exported {
  subject: Record<string, string>;
  events: { event: ChatEvent }[];
  readModels: Record<string, Record<string, unknown>[]>;
}

const env = createTestEnv();
let client: NatsClient;
let projector: AppProcess;

async function exported(args: string[]): Promise<Exported> {
  const r = await chatctl(env, ['export', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Exported;
}

describe('chatctl export (compiled CLI, real projector, NATS and Cassandra)', () => {
  before(async () => {
    client = await NatsClient.connect(env.nats, 'chatctl-export-test');
    await provisionStreams(client.jsm, streamTopology(client.topology), 1);
    await migrate(env.cassandra);
    const store = new EventStore<ChatEvent>(client.js, client.jsm, chatEventCodec);
    const events: ChatEvent[] = [
      userRegistered('alice', '+14155550130'),
      userRegistered('bob', '+14155550131'),
      conversationCreated('ab', ['alice', 'bob']),
      messageSent('ab', 'alice', 'secret plans'),
      messageSent('ab', 'bob', 'sounds good'),
      conversationCreated('bc', ['bob', 'carol']),
      messageSent('bc', 'carol', 'not alice business'),
    ];
    for (const e of events) await store.append(subjectFor(client.topology, e), e);
    projector = await AppProcess.start('projector', env.vars);
    await eventually(
      async () => {
        const r = await chatctl(env, ['status', '--json']);
        return (JSON.parse(r.stdout) as SystemStatus).projections.every((p) => p.lagEvents === 0);
      },
      20_000,
      'projected',
    );
  });
  after(async () => {
    await projector.stop('SIGKILL');
    await client.close();
    await cleanupTestEnv(env);
  });

  test('--conversation holds its events and its timeline', async () => {
    const doc = await exported(['--conversation', 'ab']);
    assert.deepEqual(doc.subject, { conversationId: 'ab' });
    assert.deepEqual(
      doc.events.map((e) => e.event.type),
      ['ConversationCreated', 'MessageSent', 'MessageSent'],
    );
    assert.equal(doc.readModels.conversations?.[0]?.conversation_id, 'ab');
    assert.deepEqual(
      doc.readModels.messages_by_conversation?.map((m) => m.body),
      ['secret plans', 'sounds good'],
    );
  });

  test('--user holds the account, the events the user takes part in and the messages they sent, nothing of others', async () => {
    const doc = await exported(['--user', 'alice']);
    assert.deepEqual(doc.events.map((e) => e.event.type).sort(), [
      'ConversationCreated',
      'MessageSent',
      'UserRegistered',
    ]);
    assert.equal(doc.readModels.users?.[0]?.phone, '+14155550130');
    assert.deepEqual(
      doc.readModels.conversations_by_user?.map((c) => c.conversation_id),
      ['ab'],
    );
    assert.deepEqual(
      doc.readModels.messages_sent?.map((m) => m.body),
      ['secret plans'],
    );
    assert.ok(!JSON.stringify(doc).includes('not alice business'));
  });

  test('needs exactly one subject', async () => {
    const r = await chatctl(env, ['export']);
    assert.equal(r.code, 64);
  });
});
