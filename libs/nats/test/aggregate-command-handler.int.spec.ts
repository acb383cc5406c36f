import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { directConversationId, type ConversationCommand } from '#libs/domain';
import { chatEventCodec, type ChatEvent, type ConversationEvent } from '#libs/events';
import {
  ConcurrencyError,
  ConversationCommandHandler,
  EventStore,
  NatsClient,
  provisionStreams,
  streamTopology,
  UserCommandHandler,
  type AppendOptions,
} from '#libs/nats';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';

const env = createTestEnv();
let client: NatsClient;
let store: EventStore<ChatEvent>;

const now = (): { now: Date } => ({ now: new Date() });
let ids = 0;
const nextId = (): string => String(1_000_000 + ++ids);

const createGroup = (conversationId: string, members: string[] = []): ConversationCommand => ({
  type: 'CreateGroup',
  conversationId,
  createdBy: 'alice',
  subject: 'g',
  memberUserIds: members,
  systemMessageId: nextId(),
  maxMembers: 1000,
});
const add = (userIds: string[]): ConversationCommand => ({
  type: 'AddGroupMembers',
  by: 'alice',
  userIds,
  systemMessageId: nextId(),
  maxMembers: 1000,
});

/**
 * The real store, with a rival writer that appends to the same subject just before each of this
 * store's checked appends: every expected sequence this store sends is stale by then (a real 10071).
 */
class RivalledStore extends EventStore<ChatEvent> {
  rivalAppends = 0;
  constructor(private readonly rival: (subject: string) => Promise<void>) {
    super(client.js, client.jsm, chatEventCodec);
  }
  override async append(subject: string, event: ChatEvent, options: AppendOptions = {}) {
    if (options.expectedLastSubjectSequence !== undefined) {
      await this.rival(subject);
      this.rivalAppends++;
    }
    return super.append(subject, event, options);
  }
}

describe('the generic aggregate command handler (real nats-server)', () => {
  before(async () => {
    client = await NatsClient.connect(env.nats, 'aggregate-handler-test');
    await provisionStreams(client.jsm, streamTopology(client.topology), 1);
    store = new EventStore(client.js, client.jsm, chatEventCodec);
  });
  after(async () => {
    await client.close();
    await cleanupTestEnv(env);
  });

  test('a conflict reloads, decides again and appends once; a cached state is checked against the log', async () => {
    const a = new ConversationCommandHandler(client, store);
    const b = new ConversationCommandHandler(client, store);
    const created = await a.handle('g1', createGroup('g1'), now());
    assert.ok(created.ok);
    assert.equal((await a.load('g1')).version, created.version); // cached by a
    // b changes the group behind a's back; a's cached version is stale.
    assert.ok((await b.handle('g1', add(['bob']), now())).ok);
    const result = await a.handle('g1', add(['carol']), now());
    assert.ok(result.ok);
    const { state, version } = await b.load('g1');
    assert.equal(version, result.version);
    assert.ok(state.status === 'active' && state.members.has('bob') && state.members.has('carol'));

    // Two writers at once: both changes land, neither is lost.
    const [x, y] = await Promise.all([
      a.handle('g1', add(['dave']), now()),
      b.handle('g1', add(['erin']), now()),
    ]);
    assert.ok(x.ok && y.ok);
    const after = (await a.load('g1')).state;
    assert.ok(after.status === 'active' && after.members.has('dave') && after.members.has('erin'));
  });

  test('a rival that always wins: retried with fresh state, then given up as a ConcurrencyError', async () => {
    const setup = new ConversationCommandHandler(client, store);
    assert.ok((await setup.handle('g2', createGroup('g2'), now())).ok);
    let n = 0;
    const rivalStore = new RivalledStore(async () => {
      assert.ok((await setup.handle('g2', add([`rival${++n}`]), now())).ok);
    });
    const handler = new ConversationCommandHandler(client, rivalStore, { maxAttempts: 3, jitterMs: 1 });
    await assert.rejects(handler.handle('g2', add(['zed']), now()), ConcurrencyError);
    assert.equal(rivalStore.rivalAppends, 3); // three decisions, each on reloaded state
    const { state } = await setup.load('g2');
    assert.ok(state.status === 'active' && !state.members.has('zed') && state.members.has('rival3'));

    // A rival that wins only once: the second attempt goes through.
    let once = false;
    const oneRival = new RivalledStore(async () => {
      if (once) return;
      once = true;
      assert.ok((await setup.handle('g2', add(['rival-once']), now())).ok);
    });
    const retried = await new ConversationCommandHandler(client, oneRival).handle('g2', add(['yan']), now());
    assert.ok(retried.ok);
    assert.equal(retried.attempts, 2);
  });

  test('a rejection is a value and appends nothing', async () => {
    const handler = new ConversationCommandHandler(client, store);
    const before = await handler.version('g1');
    const refused = await handler.handle(
      'g1',
      { ...add(['bob']), by: 'mallory' } as ConversationCommand,
      now(),
    );
    assert.equal(refused.ok, false);
    assert.equal(await handler.version('g1'), before);
  });

  test('an idempotent resend (same msgId) gets the stored event back and stores nothing new', async () => {
    const handler = new ConversationCommandHandler(client, store);
    const conversationId = directConversationId('alice', 'bob');
    assert.ok(
      (
        await handler.handle(
          conversationId,
          { type: 'CreateDirectConversation', createdBy: 'alice', peerUserId: 'bob' },
          now(),
        )
      ).ok,
    );
    const send = (messageId: string): ConversationCommand => ({
      type: 'SendMessage',
      messageId,
      senderUserId: 'alice',
      senderDeviceId: 'd1',
      clientMessageId: 'c1',
      content: { type: 'text', text: 'hi' },
      maxTextChars: 4096,
    });
    const first = await handler.handle(conversationId, send(nextId()), { ...now(), msgId: 'alice.d1.c1' });
    const again = await handler.handle(conversationId, send(nextId()), { ...now(), msgId: 'alice.d1.c1' });
    assert.ok(first.ok && again.ok);
    assert.equal(first.acks[0]!.duplicate, false);
    assert.equal(again.acks[0]!.duplicate, true);
    assert.equal(again.acks[0]!.seq, first.acks[0]!.seq);
    const stored = (await handler.storedEvent(
      again.acks[0]!.stream,
      again.acks[0]!.seq,
    )) as ConversationEvent;
    assert.equal(stored.type, 'MessageSent');
    assert.equal(
      stored.type === 'MessageSent' && stored.data.messageId,
      (first.events[0] as ConversationEvent & { data: { messageId: string } }).data.messageId,
    );
  });

  test('a few hundred commands and loads leave no consumer on any stream', async () => {
    const users = new UserCommandHandler(client, store);
    for (let i = 0; i < 150; i++) {
      // A fresh handler each time: every load reads the log, none is served from a cache.
      const handler = new ConversationCommandHandler(client, store);
      assert.ok(
        (await handler.handle(`m${i % 10}`, i < 10 ? createGroup(`m${i}`) : add([`u${i}`]), now())).ok,
      );
      const preview = await new UserCommandHandler(client, store).handle(
        `user${i % 20}`,
        { type: 'SetNotificationPreview', preview: i % 2 ? 'show' : 'hide' },
        now(),
      );
      assert.equal(preview.ok, false); // no such account: the state was loaded from the (empty) log
      await users.load(`user${i % 20}`);
    }
    for (const spec of streamTopology(client.topology)) {
      const consumers = await client.jsm.consumers.list(spec.name).next();
      assert.deepEqual(
        consumers.map((c) => c.name),
        [],
        `${spec.name} keeps consumers`,
      );
    }
  });
});
