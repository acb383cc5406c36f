import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chatEventCodec, partitionOf, type ChatEvent } from '#libs/events';
import {
  EventStore,
  NatsClient,
  partitionStreamName,
  provisionStreams,
  streamTopology,
  userStreamName,
} from '#libs/nats';
import { chatctl, ChatctlFollower, jsonLines } from '../../../test/support/chatctl.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import {
  conversationCreated,
  messageRead,
  messageSent,
  subjectFor,
  userRegistered,
} from '../../../test/support/event-fixtures.js';
import { createTestEnv } from '../../../test/support/test-env.js';
import { pace } from '../../../test/support/wait.js';

interface Line {
  stream: string;
  seq: number;
  subject: string;
  time: string;
  event: ChatEvent;
}

const env = createTestEnv({ CHAT_STREAM_PARTITIONS: '2' });
let client: NatsClient;
let store: EventStore<ChatEvent>;

// Two conversations on different partitions, so a full dump reads several streams.
const convA = 'conv-a';
const convB = ['conv-b', 'conv-c', 'conv-d', 'conv-e'].find(
  (c) => partitionOf(c, 2) !== partitionOf(convA, 2),
)!;
let between: Date;

async function append(event: ChatEvent): Promise<number> {
  return (await store.append(subjectFor(client.topology, event), event)).seq;
}

describe('chatctl events (compiled CLI against real NATS)', () => {
  before(async () => {
    client = await NatsClient.connect(env.nats, 'chatctl-events-test');
    await provisionStreams(client.jsm, streamTopology(client.topology), 1);
    store = new EventStore(client.js, client.jsm, chatEventCodec);
    await append(userRegistered('alice', '+14155550100'));
    await append(userRegistered('bob', '+14155550101'));
    await append(conversationCreated(convA, ['alice', 'bob']));
    const hello = messageSent(convA, 'alice', 'hello bob');
    await append(hello);
    await append(messageRead(convA, 'bob', hello.data.messageId));
    // A gap in time between the two batches, for --since to split on (the scenario, not a wait).
    await pace(30);
    between = new Date();
    await pace(30);
    await append(conversationCreated(convB, ['carol', 'dave']));
    await append(messageSent(convB, 'carol', 'hi dave'));
    await append(messageSent(convB, 'dave', 'hi carol'));
  });
  after(async () => {
    await client.close();
    await cleanupTestEnv(env);
  });

  test('dumps every event of every stream as JSON lines, decoded, with progress on stderr', async () => {
    const r = await chatctl(env, ['events']);
    assert.equal(r.code, 0, r.stderr);
    const lines = jsonLines<Line>(r.stdout);
    assert.equal(lines.length, 8);
    const streams = new Set(lines.map((l) => l.stream));
    assert.deepEqual(
      [...streams].sort(),
      [
        partitionStreamName(client.topology, 0),
        partitionStreamName(client.topology, 1),
        userStreamName(client.topology),
      ].sort(),
    );
    const sent = lines.find((l) => l.event.type === 'MessageSent' && l.event.data.conversationId === convA);
    assert.equal(
      sent?.event.type === 'MessageSent' &&
        sent.event.data.content.type === 'text' &&
        sent.event.data.content.text,
      'hello bob',
    );
    assert.ok(Date.parse(sent!.time) > 0);
    for (const stream of streams) {
      const seqs = lines.filter((l) => l.stream === stream).map((l) => l.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        `stream order within ${stream}`,
      );
    }
    assert.match(r.stderr, /events: done, 8 events in [\d.]+s \(\d+ events\/s\)/);
  });

  test('--conversation reads only that conversation', async () => {
    const lines = jsonLines<Line>((await chatctl(env, ['events', '--conversation', convB])).stdout);
    assert.deepEqual(
      lines.map((l) => l.event.type),
      ['ConversationCreated', 'MessageSent', 'MessageSent'],
    );
    assert.ok(lines.every((l) => l.subject.includes(`.${convB}.`)));
  });

  test('--user finds the account and every event the user takes part in, across streams', async () => {
    const lines = jsonLines<Line>((await chatctl(env, ['events', '--user', 'bob'])).stdout);
    assert.deepEqual(lines.map((l) => l.event.type).sort(), [
      'ConversationCreated',
      'MessageRead',
      'UserRegistered',
    ]);
  });

  test('--type filters by event type and may repeat', async () => {
    const sent = jsonLines<Line>((await chatctl(env, ['events', '--type', 'MessageSent'])).stdout);
    assert.equal(sent.length, 3);
    const two = jsonLines<Line>(
      (await chatctl(env, ['events', '--type', 'MessageRead', '--type', 'UserRegistered'])).stdout,
    );
    assert.equal(two.length, 3);
  });

  test('--since / --until select by stream time', async () => {
    const later = jsonLines<Line>((await chatctl(env, ['events', '--since', between.toISOString()])).stdout);
    assert.equal(later.length, 3);
    assert.ok(later.every((l) => l.subject.includes(`.${convB}.`)));
    const earlier = jsonLines<Line>(
      (await chatctl(env, ['events', '--until', between.toISOString()])).stdout,
    );
    assert.equal(earlier.length, 5);
  });

  test('--from-seq / --to-seq select a sequence range of one stream', async () => {
    const stream = partitionStreamName(client.topology, partitionOf(convB, 2));
    const r = await chatctl(env, ['events', '--stream', stream, '--from-seq', '2', '--to-seq', '2']);
    assert.equal(r.code, 0, r.stderr);
    const lines = jsonLines<Line>(r.stdout);
    assert.deepEqual(
      lines.map((l) => [l.stream, l.seq]),
      [[stream, 2]],
    );
    const usage = await chatctl(env, ['events', '--from-seq', '2']);
    assert.equal(usage.code, 64, 'a sequence range over several streams is refused');
    assert.match(usage.stderr, /need one stream/);
  });

  test('an undecodable payload is reported on stderr with its sequence and skipped', async () => {
    const env2 = createTestEnv();
    const c2 = await NatsClient.connect(env2.nats, 'chatctl-events-test-2');
    try {
      await provisionStreams(c2.jsm, streamTopology(c2.topology), 1);
      const s2 = new EventStore(c2.js, c2.jsm, chatEventCodec);
      await s2.append(
        subjectFor(c2.topology, userRegistered('erin', '+14155550102')),
        userRegistered('erin', '+14155550102'),
      );
      const bad = await c2.js.publish(
        subjectFor(c2.topology, userRegistered('frank', '+14155550103')),
        '{"broken"',
      );
      const r = await chatctl(env2, ['events']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(jsonLines(r.stdout).length, 1);
      assert.match(r.stderr, new RegExp(`sequence ${bad.seq} .*undecodable: EVENT_MALFORMED`));
    } finally {
      await c2.close();
      await cleanupTestEnv(env2);
    }
  });

  test('--follow prints stored events, then live ones as they are appended', async () => {
    const follower = new ChatctlFollower(env, ['events', '--conversation', convA, '--follow']);
    try {
      await follower.until(() => follower.lines.length >= 3, 10_000, 'the stored events');
      assert.equal(follower.lines.length, 3);
      await append(messageSent(convA, 'bob', 'live one'));
      await follower.until(() => follower.lines.length >= 4, 10_000, 'the live event');
      const last = follower.lines.at(-1) as Line;
      assert.equal(
        last.event.type === 'MessageSent' &&
          last.event.data.content.type === 'text' &&
          last.event.data.content.text,
        'live one',
      );
    } finally {
      assert.equal(await follower.stop(), 0);
    }
  });

  test('a bad flag exits 64 with the reason', async () => {
    const r = await chatctl(env, ['events', '--since', 'yesterday-ish']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /--since: not a time/);
  });
});
