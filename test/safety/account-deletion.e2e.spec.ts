import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatHttpClient } from '#libs/client-sdk';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { chatctl } from '../support/chatctl.js';
import { signUp, TestDevice } from '../support/chat-users.js';

let stack: ChatStack;
let http: ChatHttpClient;
let alice: TestDevice, bob: TestDevice, carol: TestDevice;
let direct: string, group: string;

const refusedWith = (code: string) => (e: unknown) => (e as { code?: string }).code === code;

describe('account deletion: DELETE /v1/me with a fresh code, then the same number signs up as a new account', () => {
  before(async () => {
    stack = await ChatStack.start();
    http = new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url });
    [alice, bob, carol] = await Promise.all([
      signUp(stack, undefined, 'Alice'),
      signUp(stack),
      signUp(stack),
    ]);
    await Promise.all([alice, bob, carol].map((d) => d.connect()));
    await http.changeContacts(alice.tokens.accessToken, { add: [bob.phone!] });
    ({ conversationId: direct } = await alice.chat.openDirect(bob.userId));
    await alice.chat.send(direct, 'a secret of alice');
    ({ conversationId: group } = await bob.chat.createGroup('book club', [alice.userId, carol.userId]));
    await alice.chat.send(group, 'hello club');
    await bob.waitForMessages(direct, 1);
    await carol.waitForMessages(group, 2);
  });
  after(async () => {
    await Promise.all([alice, bob, carol].map((d) => d?.disconnect().catch(() => undefined)));
    await stack.stop();
  });

  test('a wrong code deletes nothing', async () => {
    await stack.newCode(alice.phone!, () => http.requestCode(alice.phone!));
    await assert.rejects(http.deleteAccount(alice.tokens.accessToken, '000000'), refusedWith('CODE_INVALID'));
    assert.equal((await http.listDevices(alice.tokens.accessToken)).length, 1);
  });

  test('deletion revokes tokens, closes sockets, leaves groups and shows the account as deleted', async () => {
    const revoked = new Promise<void>((resolve) => alice.client!.once('revoked', () => resolve()));
    const code = await stack.newCode(alice.phone!, () => http.requestCode(alice.phone!));
    await http.deleteAccount(alice.tokens.accessToken, code);
    await revoked;
    await assert.rejects(http.listDevices(alice.tokens.accessToken), refusedWith('USER_FORGOTTEN'));
    await assert.rejects(http.refresh(alice.tokens.refreshToken));

    const info = await bob.chat.groupInfo(group);
    assert.ok(!info.members.some((m) => m.userId === alice.userId), 'she left the group');
    await eventually(
      async () => (await bob.chat.getProfiles([alice.userId]))[0]?.deleted === true,
      20_000,
      'her profile reads deleted',
    );
    const [seen] = await bob.chat.getProfiles([alice.userId]);
    assert.equal(seen?.displayName, undefined);
    // Her messages stay in the others' history, from a deleted account, their text shredded.
    await eventually(
      async () => {
        const h = await bob.chat.history(direct);
        return (
          h.messages.length === 1 &&
          h.messages[0]!.senderUserId === alice.userId &&
          h.messages[0]!.text !== 'a secret of alice'
        );
      },
      20_000,
      'her text shredded',
    );
    const events = await chatctl(stack.env, ['events', '--user', alice.userId]);
    assert.match(events.stdout, /"type":"AccountDeleted"/);
    assert.match(events.stdout, /"type":"UserForgotten"/);
    assert.ok(!events.stdout.includes(alice.phone!), 'the phone number is unreadable in the log');
  });

  test('the same number signs up again as a new, empty account that others find', async () => {
    const code = await stack.newCode(alice.phone!, () => http.requestCode(alice.phone!));
    const again = new TestDevice(await http.verify(alice.phone!, code, 'phone', 'Alice again'), stack);
    assert.notEqual(again.userId, alice.userId, 'a new account');
    await again.connect();
    try {
      assert.deepEqual((await again.chat.listConversations()).conversations, []);
      assert.deepEqual((await again.chat.blockList()).blocked, []);
      await refusedGroup(again);
      await eventually(
        async () => (await http.lookup(bob.tokens.accessToken, [alice.phone!]))[0]?.userId === again.userId,
        20_000,
        'discovery names the new account',
      );
      const [profile] = await bob.chat.getProfiles([again.userId]);
      assert.equal(profile?.displayName, 'Alice again');
      assert.equal(profile?.deleted, undefined);
      // Signing in again finds the new account, not the deleted one.
      const code2 = await stack.newCode(alice.phone!, () => http.requestCode(alice.phone!));
      const same = await http.verify(alice.phone!, code2, 'phone');
      assert.equal(same.userId, again.userId);
    } finally {
      await again.disconnect();
    }
  });
});

/** The new account is in no group of the old one. */
async function refusedGroup(d: TestDevice): Promise<void> {
  await assert.rejects(d.chat.groupInfo(group), refusedWith('NOT_A_MEMBER'));
}
