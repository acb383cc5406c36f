import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError } from '#libs/client-sdk';
import { NatsClient, streamTopology } from '#libs/nats';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUpMany, type TestDevice } from '../support/chat-users.js';

let stack: ChatStack;
let ann: TestDevice, bob: TestDevice, eve: TestDevice;

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ChatError, `expected a ChatError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail('the request succeeded');
}

describe('the command side (frames on the CQRS buses, one aggregate handler)', () => {
  before(async () => {
    stack = await ChatStack.start({ gateways: 1 });
    [ann, bob, eve] = (await signUpMany(stack, 3)) as [TestDevice, TestDevice, TestDevice];
    await Promise.all([ann, bob, eve].map((d) => d.connect()));
  });
  after(async () => {
    await Promise.all([ann, bob, eve].map((d) => d.disconnect()));
    await stack.stop();
  });

  test('conversation.get: a member gets the summary of the list; anyone else NOT_A_MEMBER, existing or not', async () => {
    const { conversationId } = await ann.chat.openDirect(bob.userId);
    const { messageId } = await ann.chat.send(conversationId, 'hello bob');
    await eventually(
      async () => (await bob.chat.getConversation(conversationId)).lastMessage?.messageId === messageId,
      20_000,
      'the summary with the last message',
    );
    const summary = await bob.chat.getConversation(conversationId);
    assert.equal(summary.kind, 'direct');
    assert.deepEqual(summary.members, [ann.userId, bob.userId].sort());
    assert.equal(summary.unreadCount, 1);
    const listed = (await bob.chat.listConversations()).conversations.find(
      (c) => c.conversationId === conversationId,
    );
    assert.deepEqual(summary, listed);

    const { conversationId: group } = await ann.chat.createGroup('Walkers', [bob.userId]);
    const g = await bob.chat.getConversation(group);
    assert.equal(g.kind, 'group');
    assert.equal(g.subject, 'Walkers');
    assert.deepEqual(g.members, [ann.userId, bob.userId].sort());

    const existing = await codeOf(eve.chat.getConversation(conversationId));
    const missing = await codeOf(eve.chat.getConversation('g_nosuchgroup00000000'));
    assert.equal(existing.code, 'NOT_A_MEMBER');
    assert.deepEqual(existing, missing);
    assert.equal((await codeOf(eve.chat.getConversation(group))).code, 'NOT_A_MEMBER');
  });

  test('a few hundred commands leave only the durable consumers on the streams', async () => {
    const { conversationId: group } = await ann.chat.createGroup('Busy', [bob.userId]);
    const { conversationId: direct } = await ann.chat.openDirect(eve.userId);
    for (let i = 0; i < 100; i++) {
      await ann.chat.send(i % 2 ? group : direct, `m${i}`);
      await bob.chat.groupInfo(group);
      await eve.chat.setPrivacy({ lastSeen: i % 2 ? 'everyone' : 'contacts' });
      if (i % 10 === 0) await ann.chat.updateGroupInfo(group, { subject: `Busy ${i}` });
    }
    const nats = await NatsClient.connect(stack.env.nats, 'command-side-test');
    try {
      for (const spec of streamTopology(nats.topology)) {
        const consumers = await nats.jsm.consumers.list(spec.name).next();
        // A process's own long-lived follower (named follower-...) is no leak of the command path.
        const ephemeral = consumers
          .filter((c) => !c.config.durable_name && !c.name.startsWith('follower-'))
          .map((c) => c.name);
        assert.deepEqual(ephemeral, [], `${spec.name} keeps consumers that are not durable`);
      }
    } finally {
      await nats.close();
    }
  });
});
