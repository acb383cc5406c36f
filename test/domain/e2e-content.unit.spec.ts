import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideConversation,
  decideUser,
  evolveConversation,
  evolveUser,
  initialConversationState,
  initialUserState,
  type CommandContext,
  type ConversationCommand,
  type ConversationState,
  type E2eDevice,
  type UserCommand,
  type UserState,
} from '#libs/domain';

const ctx: CommandContext = { now: new Date('2026-01-01T00:00:00Z'), newEventId: () => 'e1' };

function conversation(...commands: ConversationCommand[]): ConversationState {
  let state = initialConversationState();
  let seq = 0;
  for (const c of commands) {
    const d = decideConversation(c, state, ctx);
    assert.ok(d.ok, d.ok ? '' : d.error.message);
    for (const e of d.events) state = evolveConversation(state, e, ++seq);
  }
  return state;
}

const direct = (): ConversationState =>
  conversation({ type: 'CreateDirectConversation', createdBy: 'ann', peerUserId: 'bob' });
const group = (): ConversationState =>
  conversation({
    type: 'CreateGroup',
    conversationId: 'g_1',
    createdBy: 'ann',
    subject: 'g',
    memberUserIds: ['bob', 'cat'],
    systemMessageId: '100',
    maxMembers: 10,
  });

const devices = new Map<string, E2eDevice[]>([
  [
    'ann',
    [
      { deviceId: 'a1', registrationId: 11 },
      { deviceId: 'a2', registrationId: 12 },
    ],
  ],
  [
    'bob',
    [
      { deviceId: 'b1', registrationId: 21 },
      { deviceId: 'b2', registrationId: 22 },
    ],
  ],
  ['cat', [{ deviceId: 'c1', registrationId: 31 }]],
]);
const env = (deviceId: string, registrationId: number) => ({
  deviceId,
  registrationId,
  type: 2,
  body: 'QUJD',
});

function send(
  content: Extract<ConversationCommand, { type: 'SendMessage' }>['content'],
): ConversationCommand {
  return {
    type: 'SendMessage',
    messageId: '200',
    senderUserId: 'ann',
    senderDeviceId: 'a1',
    clientMessageId: 'c1',
    content,
    maxTextChars: 100,
  };
}

describe('E2E sends: the envelopes must match the conversation devices', () => {
  test("one envelope per member device and per sender's other device is accepted, owners filled in", () => {
    const d = decideConversation(
      send({
        type: 'e2e',
        kind: 'envelopes',
        distribution: false,
        devices,
        envelopes: [env('a2', 12), env('b1', 21), env('b2', 22)],
      }),
      direct(),
      ctx,
    );
    assert.ok(d.ok);
    const e = d.events[0]!;
    assert.equal(e.type, 'MessageSent');
    if (e.type !== 'MessageSent' || e.data.content.type !== 'e2e') return;
    assert.deepEqual(
      e.data.content.envelopes?.map((x) => `${x.userId}/${x.deviceId}`),
      ['ann/a2', 'bob/b1', 'bob/b2'],
    );
  });

  test('missing, extra (the sending device, a stranger, a duplicate) and stale devices are listed together', () => {
    const d = decideConversation(
      send({
        type: 'e2e',
        kind: 'envelopes',
        distribution: false,
        devices,
        envelopes: [env('a1', 11), env('b1', 99), env('x9', 1), env('a2', 12), env('a2', 12)],
      }),
      direct(),
      ctx,
    );
    assert.ok(!d.ok);
    assert.equal(d.error.code, 'E2E_DEVICES_MISMATCH');
    assert.deepEqual(d.error.details, {
      missingDevices: [{ userId: 'bob', deviceId: 'b2' }],
      extraDevices: [
        { userId: '', deviceId: 'a1' },
        { userId: '', deviceId: 'x9' },
        { userId: 'ann', deviceId: 'a2' },
      ],
      staleDevices: [{ userId: 'bob', deviceId: 'b1' }],
    });
  });

  test('a member the directory view lacks counts as missing (the send is retried with fresh devices)', () => {
    const d = decideConversation(
      send({
        type: 'e2e',
        kind: 'envelopes',
        distribution: false,
        devices: new Map([['ann', devices.get('ann')!]]),
        envelopes: [env('a2', 12)],
      }),
      direct(),
      ctx,
    );
    assert.ok(!d.ok && d.error.code === 'E2E_DEVICES_MISMATCH');
    assert.deepEqual((d.error.details as { missingDevices: unknown }).missingDevices, [
      { userId: 'bob', deviceId: '*' },
    ]);
  });

  test('a sender-key distribution may cover part of a group; never of a direct chat', () => {
    const g = group();
    assert.ok(
      decideConversation(
        send({ type: 'e2e', kind: 'envelopes', distribution: true, devices, envelopes: [env('c1', 31)] }),
        g,
        ctx,
      ).ok,
    );
    const d = decideConversation(
      send({ type: 'e2e', kind: 'envelopes', distribution: true, devices, envelopes: [env('b1', 21)] }),
      direct(),
      ctx,
    );
    assert.ok(!d.ok && d.error.code === 'VALIDATION_FAILED');
  });

  test('a sender-key message older than the last membership change is stale; a rename does not count', () => {
    let g = group();
    assert.equal(g.status, 'active');
    const v1 = g.status === 'active' ? g.membersVersion : -1;
    const ok = decideConversation(
      send({ type: 'e2e', kind: 'sender_key', body: 'QUJD', distributionVersion: v1 }),
      g,
      ctx,
    );
    assert.ok(ok.ok);
    const renamed = decideConversation(
      { type: 'ChangeGroupInfo', by: 'ann', subject: 'new', systemMessageId: '101' },
      g,
      ctx,
    );
    assert.ok(renamed.ok);
    g = evolveConversation(g, renamed.events[0]!, 2);
    assert.equal(g.status === 'active' && g.membersVersion, v1, 'a rename keeps the members version');
    const removed = decideConversation(
      { type: 'RemoveGroupMember', by: 'ann', userId: 'cat', systemMessageId: '102' },
      g,
      ctx,
    );
    assert.ok(removed.ok);
    g = evolveConversation(g, removed.events[0]!, 3);
    const stale = decideConversation(
      send({ type: 'e2e', kind: 'sender_key', body: 'QUJD', distributionVersion: v1 }),
      g,
      ctx,
    );
    assert.ok(!stale.ok);
    assert.equal(stale.error.code, 'SENDER_KEY_STALE');
    assert.deepEqual(stale.error.details, { membersVersion: 3 });
    assert.ok(
      !decideConversation(
        send({ type: 'e2e', kind: 'sender_key', body: 'QUJD', distributionVersion: 0 }),
        direct(),
        ctx,
      ).ok,
    );
  });
});

describe('the E2E setting of a conversation', () => {
  test('an E2E conversation refuses text and media; a plain one takes both kinds', () => {
    const e2e = conversation({
      type: 'CreateDirectConversation',
      createdBy: 'ann',
      peerUserId: 'bob',
      e2e: true,
    });
    const text = decideConversation(send({ type: 'text', text: 'hi' }), e2e, ctx);
    assert.ok(!text.ok && text.error.code === 'E2E_REQUIRED');
    const envelopes = send({
      type: 'e2e',
      kind: 'envelopes',
      distribution: false,
      devices,
      envelopes: [env('a2', 12), env('b1', 21), env('b2', 22)],
    });
    assert.ok(decideConversation(envelopes, e2e, ctx).ok);
    assert.ok(decideConversation(send({ type: 'text', text: 'hi' }), direct(), ctx).ok);
    assert.ok(decideConversation(envelopes, direct(), ctx).ok);
  });
});

describe('the account identity key', () => {
  function user(...commands: UserCommand[]): UserState {
    let state = initialUserState();
    for (const c of commands) {
      const d = decideUser(c, state, ctx);
      assert.ok(d.ok, d.ok ? '' : d.error.message);
      for (const e of d.events) state = evolveUser(state, e);
    }
    return state;
  }
  const signIn: UserCommand = {
    type: 'SignInPrimary',
    userId: 'ann',
    phone: '+15550000001',
    deviceId: 'a1',
    deviceName: 'p',
  };

  test('the primary sets it (an event), republishing changes nothing, a new key is a replacement', () => {
    const s = user(signIn);
    const first = decideUser({ type: 'PublishIdentityKey', deviceId: 'a1', identityKey: 'AAAA' }, s, ctx);
    assert.ok(first.ok);
    assert.deepEqual(
      first.events.map((e) => e.type === 'IdentityKeyChanged' && e.data.replaced),
      [false],
    );
    const s2 = evolveUser(s, first.events[0]!);
    const again = decideUser({ type: 'PublishIdentityKey', deviceId: 'a1', identityKey: 'AAAA' }, s2, ctx);
    assert.ok(again.ok && again.events.length === 0);
    const changed = decideUser({ type: 'PublishIdentityKey', deviceId: 'a1', identityKey: 'BBBB' }, s2, ctx);
    assert.ok(changed.ok);
    assert.deepEqual(
      changed.events.map((e) => e.type === 'IdentityKeyChanged' && e.data.replaced),
      [true],
    );
  });

  test('a linked device cannot set another identity', () => {
    let s = user(signIn, { type: 'LinkDevice', deviceId: 'a2', deviceName: 'l', maxLinkedDevices: 4 });
    const d = decideUser({ type: 'PublishIdentityKey', deviceId: 'a2', identityKey: 'AAAA' }, s, ctx);
    assert.ok(!d.ok && d.error.code === 'IDENTITY_KEY_MISMATCH');
    const p = decideUser({ type: 'PublishIdentityKey', deviceId: 'a1', identityKey: 'AAAA' }, s, ctx);
    assert.ok(p.ok);
    s = evolveUser(s, p.events[0]!);
    assert.ok(decideUser({ type: 'PublishIdentityKey', deviceId: 'a2', identityKey: 'AAAA' }, s, ctx).ok);
  });
});
