import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { metricSum, scrapeMetrics } from '../../bench/support/gateway-metrics.js';
import { DURABLES, NatsClient } from '#libs/nats';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { consumerCaughtUp } from '../support/consumers.js';
import { signUp } from '../support/chat-users.js';

let stack: ChatStack;
let nats: NatsClient;

/** The notifier's Cassandra statements, NATS requests and messages handled, from its /metrics. */
async function notifierCounts(): Promise<{ statements: number; requests: number }> {
  const text = await scrapeMetrics(stack.notifiers[0]!.managementUrl);
  return {
    statements: metricSum(text, 'chat_cassandra_statements_total'),
    requests: metricSum(text, 'chat_nats_requests_total'),
  };
}

describe('notifier: what a message to online devices without push tokens costs', () => {
  before(async () => {
    stack = await ChatStack.start();
    await stack.startNotifier();
    nats = await NatsClient.connect(stack.env.nats, 'notifier-cost-test');
  });
  after(async () => {
    await nats.close();
    await stack.stop();
  });

  test('after the first message of a conversation, no Cassandra statement and no NATS request', async () => {
    const alice = await signUp(stack);
    const bob = await signUp(stack);
    await bob.connect();
    await alice.connect();
    const { conversationId } = await alice.chat.openDirect(bob.userId);
    // The first message folds the conversation's members (a direct get) and opens the sender's key.
    await alice.chat.send(conversationId, 'warm up');
    await bob.waitForMessages(conversationId, 1);
    // The notifier has read it when its consumer has nothing pending or unacknowledged.
    const caughtUp = (): Promise<boolean> => consumerCaughtUp(nats, DURABLES.notifierMessages);
    await eventually(caughtUp, 20_000, 'the notifier read the first message');
    const before = await notifierCounts();
    for (let i = 0; i < 20; i++) await alice.chat.send(conversationId, `online ${i}`);
    await bob.waitForMessages(conversationId, 21);
    // It consumes the same stream apart from delivery: wait until it has handled all 20 too.
    await eventually(caughtUp, 20_000, 'the notifier read all 20');
    const afterwards = await notifierCounts();
    assert.equal(afterwards.statements - before.statements, 0, 'Cassandra statements for 20 messages');
    assert.equal(afterwards.requests - before.requests, 0, 'NATS requests for 20 messages');
  });
});
