import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCassandraClient, type CqlClient } from '#libs/cassandra';
import { DURABLES, NatsClient, partitionStreamName } from '#libs/nats';
import { conversationsTables } from '#libs/read-models';
import { eventually } from '../../../test/support/app-process.js';
import { ChatStack } from '../../../test/support/chat-stack.js';
import { signUpMany, type TestDevice } from '../../../test/support/chat-users.js';
import { chatctl, projectorCaughtUp } from '../../../test/support/chatctl.js';
import { assertRebuiltEqualsLive } from '../../../test/support/rows.js';
import { fileOf, sendMediaTo, upload } from '../../../test/media/media-helpers.js';
import { pace } from '../../../test/support/wait.js';

let stack: ChatStack;
let cql: CqlClient;
let ann: TestDevice, bob: TestDevice, carol: TestDevice, dan: TestDevice;
let direct: string;
let group: string;

/** The newest message a device received in a conversation (clients mark read only what they have). */
const newest = (d: TestDevice, conversationId: string): string | undefined =>
  d.of(conversationId).at(-1)?.messageId;

describe('chatctl rebuild conversations (real stack, SDK clients sending throughout)', () => {
  before(async () => {
    stack = await ChatStack.start();
    cql = createCassandraClient(stack.env.cassandra);
    let eve: TestDevice;
    [ann, bob, carol, dan, eve] = (await signUpMany(stack, 5)) as [
      TestDevice,
      TestDevice,
      TestDevice,
      TestDevice,
      TestDevice,
    ];
    await Promise.all([ann, bob, carol, dan, eve].map((d) => d.connect()));
    ({ conversationId: direct } = await ann.chat.openDirect(bob.userId));
    ({ conversationId: group } = await ann.chat.createGroup('Rebuilders', [
      bob.userId,
      carol.userId,
      eve.userId,
    ]));
    await ann.chat.updateGroupInfo(group, { subject: 'Rebuilders, renamed' });
    await ann.chat.updateGroupSettings(group, { editInfo: 'admins' });
    for (let i = 0; i < 10; i++) {
      await ann.chat.send(direct, `before ${i}`);
      await bob.chat.send(group, `before ${i}`, i % 3 === 0 ? { mentions: [carol.userId] } : {});
    }
    // A member removed (the rows after it name the members without her), and media in the timeline.
    await ann.chat.removeMember(group, eve.userId);
    const picture = await upload(stack, ann, 'image', 'image/png', fileOf('image/png', 2048));
    await bob.waitForMessages(direct, 10); // so the picture is the next one bob gets
    await sendMediaTo(ann, bob, direct, picture, { caption: 'a picture' });
    // A private reply quotes a group message from the other conversation's timeline.
    const quoted = await bob.chat.send(group, 'quote me');
    await eventually(
      async () => carol.of(group).some((m) => m.messageId === quoted.messageId),
      20_000,
      'quoted',
    );
    await carol.chat.replyPrivately(group, quoted.messageId, 'privately');
    await projectorCaughtUp(stack.env);
  });
  after(async () => {
    await cql?.shutdown();
    await stack?.stop();
  });

  test('rebuilds v2 while messages flow, switches readers, and ends equal to the live model', async () => {
    let flowing = true;
    let n = 0;
    const traffic = (async () => {
      while (flowing) {
        await ann.chat.send(direct, `live ${n}`);
        await bob.chat.send(group, `live ${n}`, n % 5 === 0 ? { mentions: [carol.userId] } : {});
        const d = newest(bob, direct);
        if (n % 3 === 0 && d) await bob.chat.markRead(direct, d);
        const g = newest(carol, group);
        if (n % 4 === 0 && g) await carol.chat.markRead(group, g);
        if (n === 10) await ann.chat.addMembers(group, [dan.userId]);
        if (n === 20) await ann.chat.promote(group, bob.userId);
        n++;
        await pace(50);
      }
    })();

    let r;
    try {
      r = await chatctl(stack.env, ['rebuild', 'conversations', '--by', 'test-operator'], 180_000);
      // Keep sending after the switch: only the live projector, now on v2, applies these.
      const atSwitch = n;
      await eventually(async () => n >= atSwitch + 5, 30_000, 'rounds after the switch');
    } finally {
      flowing = false;
      await traffic;
    }
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /v1 serves; building v2/);
    assert.match(r.stderr, /readers switched to v2/);
    // The first pass folded the direct conversation in bulk and applied the group event by event.
    assert.match(
      r.stderr,
      /first pass \d+ events .*bulk: folded [1-9]\d* conversations .* [1-9]\d* applied event by event/,
    );
    assert.match(r.stderr, /rebuild conversations: done, \d+ events in [\d.]+s \(\d+ events\/s\)/);
    assert.ok(n > 20, `messages flowed during the rebuild (${n} rounds)`);

    const lastDirect = await ann.chat.send(direct, 'after the switch');
    const lastGroup = await bob.chat.send(group, 'after the switch');
    // A generous ceiling: the rebuild and the live projection share this 2-core machine.
    await bob.waitForMessages(direct, 10 + 1 + n + 1, 60_000); // before, the picture, live, after
    for (const d of [carol, dan])
      await eventually(
        async () => d.of(group).some((m) => m.messageId === lastGroup.messageId),
        20_000,
        'last',
      );
    // The acknowledgements (MessageDelivered) of the last messages are in the log once their senders
    // hear "delivered" (to all, in the group).
    const delivered = (d: TestDevice, id: string, all: boolean): boolean =>
      d.receipts.some(
        (x) => x.status === 'delivered' && x.messageIds?.includes(id) && (!all || x.allMembers),
      );
    await ann.until(() => delivered(ann, lastDirect.messageId, false), 20_000, 'the last direct delivered');
    await bob.until(
      () => delivered(bob, lastGroup.messageId, true),
      20_000,
      'the last group delivered to all',
    );
    await projectorCaughtUp(stack.env);
    // The rebuild delivered nothing: the devices acknowledged (and so deleted) every inbox entry the live
    // projector wrote; a replayed fan-out would have left entries nobody was sent.
    await eventually(
      async () =>
        Number((await cql.execute('SELECT count(*) AS n FROM inbox_by_device')).first()?.get('n')) === 0,
      20_000,
      'every inbox entry acknowledged',
    );

    const row = (
      await cql.execute(
        "SELECT version, switched_by FROM read_model_versions WHERE projection = 'conversations'",
      )
    ).first();
    assert.equal(row?.get('version'), 2);
    assert.equal(row?.get('switched_by'), 'test-operator');

    // The gateway serves from v2: v1 stopped at the switch and has no message sent after it.
    const v1 = conversationsTables(1);
    const inV1 = await cql.execute(
      `SELECT message_id FROM ${v1.messagesById} WHERE conversation_id = ? AND message_id = ?`,
      [direct, lastDirect.messageId],
      { prepare: true },
    );
    assert.equal(inV1.rowLength, 0, 'v1 is no longer written');
    const history = await bob.chat.history(direct, { limit: 3 });
    assert.equal(history.messages.at(-1)?.messageId, lastDirect.messageId);
    const list = await bob.chat.listConversations();
    const listed = list.conversations.find((c) => c.conversationId === direct);
    assert.equal(listed?.lastMessage?.messageId, lastDirect.messageId);
    const groupRow = list.conversations.find((c) => c.conversationId === group);
    assert.equal(groupRow?.subject, 'Rebuilders, renamed');
    assert.deepEqual(groupRow?.members, [ann.userId, bob.userId, carol.userId, dan.userId].sort());

    // The reference: the live projector applies the whole log to v1 again (it skips what it applied
    // before the switch and adds the rest). Devices are offline so nothing new is acknowledged.
    await Promise.all([ann, bob, carol, dan].map((d) => d.disconnect()));
    await stack.projector!.stop('SIGKILL');
    await cql.execute(
      "INSERT INTO read_model_versions (projection, version, switched_at, switched_by) VALUES ('conversations', 1, toTimestamp(now()), 'test')",
    );
    const nats = await NatsClient.connect(stack.env.nats, 'rebuild-test');
    try {
      await nats.jsm.consumers.delete(partitionStreamName(nats.topology, 0), DURABLES.projectorConversations);
    } finally {
      await nats.close();
    }
    await stack.startProjector();
    await projectorCaughtUp(stack.env, 180_000); // the whole log again, through fan-out, on a shared machine

    await assertRebuiltEqualsLive(cql, Object.keys(v1) as Array<keyof typeof v1>);
  });

  test('an unknown projection is a usage error naming both', async () => {
    const r = await chatctl(stack.env, ['rebuild', 'inboxes']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /"users" or "conversations"/);
  });
});
