import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError } from '#libs/client-sdk';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { signUpMany, type TestDevice } from '../support/chat-users.js';
import { connectRawDevices, type RawDevice } from '../support/raw-device.js';

const MEMBERS = 1024;

let stack: ChatStack;
let creator: TestDevice;
let outsider: TestDevice;
let devices: RawDevice[];
let group: string;

describe(`a ${MEMBERS}-member group (the default maximum) on two gateways`, () => {
  before(async () => {
    const t0 = Date.now();
    stack = await ChatStack.start({ gateways: 2 });
    const users = await signUpMany(stack, MEMBERS + 1, 48);
    [creator, outsider] = [users[0]!, users[MEMBERS]!];
    const members = users.slice(1, MEMBERS);
    const urls = stack.wsUrls;
    devices = await connectRawDevices(
      members.map((m, i) => ({ url: urls[i % urls.length]!, accessToken: m.tokens.accessToken })),
      { ack: true }, // as real clients do: each member's ack becomes a MessageDelivered
    );
    await creator.connect();
    ({ conversationId: group } = await creator.chat.createGroup(
      'Everyone',
      members.map((m) => m.userId),
    ));
    console.log(
      `# set-up: ${MEMBERS + 1} users signed up and ${MEMBERS - 1} sockets connected in ${Date.now() - t0} ms`,
    );
  });
  after(async () => {
    for (const d of devices ?? []) d.close();
    await creator?.disconnect();
    await stack?.stop();
  });

  test('every member device gets the "created" message and then a message exactly once', async () => {
    const info = await creator.chat.groupInfo(group);
    assert.equal(info.members.length, MEMBERS);
    const t0 = performance.now();
    const { messageId } = await creator.chat.send(group, 'hello, all of you');
    await Promise.all(devices.map((d) => d.waitFor(messageId, 45_000)));
    const last = Math.max(...devices.map((d) => d.arrivals.get(messageId)!));
    console.log(`# ${devices.length} devices had the message ${Math.round(last - t0)} ms after send`);
    // Every member acknowledged it: the sender sees "delivered" once, for all of them.
    await eventually(
      async () =>
        creator.receipts.some(
          (r) => r.status === 'delivered' && r.allMembers === true && r.messageIds?.includes(messageId),
        ),
      30_000,
      'delivered to all 1023',
    );
    const status = await creator.chat.messageInfo(group, messageId);
    assert.equal(status.members.length, MEMBERS - 1);
    assert.ok(status.members.every((m) => m.deliveredAt));
    assert.equal(
      creator.receipts.filter((r) => r.status === 'delivered' && r.messageIds?.includes(messageId)).length,
      1,
      'one aggregate receipt, not one per member',
    );
    // A second copy would reach each device before a later message of the group: wait for that one.
    const { messageId: marker } = await creator.chat.send(group, 'and one more');
    await Promise.all(devices.map((d) => d.waitFor(marker, 45_000)));
    for (const d of devices) {
      assert.equal(d.counts.get(messageId), 1, 'the message exactly once');
      assert.equal(
        d.counts.size,
        3,
        'the "created" system message, the message and the marker, nothing else',
      );
      for (const [id, n] of d.counts)
        assert.equal(n, 1, `${id} once (message ${messageId}, marker ${marker})`);
    }
  });

  test(`adding a ${MEMBERS + 1}th member fails with GROUP_FULL naming the limit, and changes nothing`, async () => {
    const before = (await creator.chat.groupInfo(group)).version;
    const err = await creator.chat.addMembers(group, [outsider.userId]).then(
      () => assert.fail('the add succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChatError);
    assert.equal(err.code, 'GROUP_FULL');
    assert.equal(err.details?.limit, MEMBERS);
    assert.equal((await creator.chat.groupInfo(group)).version, before);
  });
});
