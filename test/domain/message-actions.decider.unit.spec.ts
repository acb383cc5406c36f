import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConversationEvent } from '#libs/events';
import {
  decideConversation,
  evolveConversation,
  initialConversationState,
  type CommandContext,
  type ConversationCommand,
  type ConversationState,
  decideForward,
  type Decision,
  type ForwardSource,
  decideUser,
  evolveUser,
  initialUserState,
  type LocationContentInput,
  type MessageFacts,
  type UserCommand,
  type UserState,
} from '#libs/domain';
import { coordinatesOf, parseCoordinates } from '#libs/events';

const SENT = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number): CommandContext => ({
  now: new Date(SENT.getTime() + seconds * 1000),
  newEventId: () => 'e1',
});
const EDIT_WINDOW = 900;
const DELETE_WINDOW = 172_800;

/** Given these commands (each accepted), the state they leave. */
function given(...commands: ConversationCommand[]): ConversationState {
  let state = initialConversationState();
  let seq = 0;
  for (const c of commands) {
    const d = decideConversation(c, state, at(0));
    assert.ok(d.ok, `given ${c.type} was rejected: ${d.ok ? '' : d.error.message}`);
    for (const e of d.events) state = evolveConversation(state, e, ++seq);
  }
  return state;
}

const direct = (): ConversationState =>
  given({ type: 'CreateDirectConversation', createdBy: 'ann', peerUserId: 'bob' });
const group = (): ConversationState =>
  given({
    type: 'CreateGroup',
    conversationId: 'g_actions',
    createdBy: 'ann',
    subject: 'Actions',
    memberUserIds: ['bob', 'carol'],
    systemMessageId: '100',
    maxMembers: 10,
  });

const textBy = (senderUserId: string, extra: Partial<MessageFacts> = {}): MessageFacts => ({
  senderUserId,
  sentAt: SENT.toISOString(),
  kind: 'text',
  deleted: false,
  ...extra,
});

const base = (userId: string, target: MessageFacts | undefined) => ({
  messageId: '42',
  userId,
  deviceId: `${userId}-phone`,
  clientActionId: 'a-1',
  target,
});
const edit = (
  userId: string,
  target: MessageFacts | undefined,
  change: { text?: string; caption?: string },
) =>
  ({
    type: 'EditMessage',
    ...base(userId, target),
    ...change,
    editWindowSeconds: EDIT_WINDOW,
    maxTextChars: 20,
  }) as const;
const del = (userId: string, target: MessageFacts | undefined) =>
  ({ type: 'DeleteMessage', ...base(userId, target), deleteWindowSeconds: DELETE_WINDOW }) as const;
const hide = (userId: string, target: MessageFacts | undefined) =>
  ({ type: 'HideMessage', ...base(userId, target) }) as const;

function events<E>(d: Decision<E>): readonly E[] {
  assert.ok(d.ok, d.ok ? '' : `rejected: ${d.error.code} ${d.error.message}`);
  return d.events;
}

function refused(d: Decision<ConversationEvent>, code: string): void {
  assert.equal(d.ok, false, 'expected a rejection');
  if (!d.ok) assert.equal(d.error.code, code);
}

describe('message actions decider: edit', () => {
  test('the sender edits a text message within the window: MessageEdited with the new text', () => {
    const [e] = events(decideConversation(edit('ann', textBy('ann'), { text: 'fixed' }), direct(), at(899)));
    assert.equal(e?.type, 'MessageEdited');
    if (e?.type !== 'MessageEdited') return;
    assert.deepEqual(e.data, {
      conversationId: 'd_ann_bob',
      messageId: '42',
      userId: 'ann',
      deviceId: 'ann-phone',
      clientActionId: 'a-1',
      text: 'fixed',
      editedAt: at(899).now.toISOString(),
    });
  });

  test('a media message gets a new caption; its text cannot be set, nor a text message given a caption', () => {
    const media = textBy('ann', { kind: 'media' });
    const [e] = events(decideConversation(edit('ann', media, { caption: 'new caption' }), direct(), at(1)));
    assert.equal(e?.type === 'MessageEdited' ? e.data.caption : undefined, 'new caption');
    refused(decideConversation(edit('ann', media, { text: 'x' }), direct(), at(1)), 'VALIDATION_FAILED');
    refused(
      decideConversation(edit('ann', textBy('ann'), { caption: 'x' }), direct(), at(1)),
      'VALIDATION_FAILED',
    );
    refused(decideConversation(edit('ann', textBy('ann'), {}), direct(), at(1)), 'VALIDATION_FAILED');
  });

  test('refusals: not the sender, window over, not a member, no such message, deleted, too long, blank', () => {
    refused(decideConversation(edit('bob', textBy('ann'), { text: 'x' }), direct(), at(1)), 'NOT_THE_SENDER');
    const late = decideConversation(edit('ann', textBy('ann'), { text: 'x' }), direct(), at(901));
    refused(late, 'ACTION_WINDOW_OVER');
    if (!late.ok) assert.deepEqual(late.error.details, { windowSeconds: EDIT_WINDOW });
    refused(decideConversation(edit('eve', textBy('ann'), { text: 'x' }), direct(), at(1)), 'NOT_A_MEMBER');
    refused(decideConversation(edit('ann', undefined, { text: 'x' }), direct(), at(1)), 'NOT_FOUND');
    refused(
      decideConversation(edit('ann', textBy('ann', { deleted: true }), { text: 'x' }), direct(), at(1)),
      'NOT_FOUND',
    );
    refused(
      decideConversation(edit('ann', textBy('ann'), { text: 'x'.repeat(21) }), direct(), at(1)),
      'MESSAGE_TOO_LARGE',
    );
    refused(
      decideConversation(edit('ann', textBy('ann'), { text: '   ' }), direct(), at(1)),
      'VALIDATION_FAILED',
    );
  });

  test("a group admin may not edit another member's message", () => {
    refused(decideConversation(edit('ann', textBy('bob'), { text: 'x' }), group(), at(1)), 'NOT_THE_SENDER');
  });
});

describe('message actions decider: delete', () => {
  test('the sender deletes for everyone within the window (not byAdmin)', () => {
    const [e] = events(decideConversation(del('ann', textBy('ann')), direct(), at(DELETE_WINDOW)));
    assert.equal(e?.type, 'MessageDeleted');
    if (e?.type === 'MessageDeleted') assert.equal(e.data.byAdmin, false);
  });

  test("a group admin deletes any member's message, marked byAdmin; a plain member only their own", () => {
    const [e] = events(decideConversation(del('ann', textBy('bob')), group(), at(5)));
    assert.equal(e?.type === 'MessageDeleted' ? e.data.byAdmin : undefined, true);
    refused(decideConversation(del('carol', textBy('bob')), group(), at(5)), 'NOT_AN_ADMIN');
    const [own] = events(decideConversation(del('bob', textBy('bob')), group(), at(5)));
    assert.equal(own?.type === 'MessageDeleted' ? own.data.byAdmin : undefined, false);
  });

  test('refusals: not the sender (1:1), window over, not a member, no such message, a system message', () => {
    refused(decideConversation(del('bob', textBy('ann')), direct(), at(1)), 'NOT_THE_SENDER');
    refused(
      decideConversation(del('ann', textBy('ann')), direct(), at(DELETE_WINDOW + 1)),
      'ACTION_WINDOW_OVER',
    );
    refused(
      decideConversation(del('ann', textBy('bob')), group(), at(DELETE_WINDOW + 1)),
      'ACTION_WINDOW_OVER',
    );
    refused(decideConversation(del('eve', textBy('ann')), direct(), at(1)), 'NOT_A_MEMBER');
    refused(decideConversation(del('ann', undefined), direct(), at(1)), 'NOT_FOUND');
    refused(
      decideConversation(del('ann', textBy('ann', { kind: 'system' })), group(), at(1)),
      'VALIDATION_FAILED',
    );
  });

  test('deleting a deleted message again is accepted (a resend gets its stored answer), even past the window', () => {
    events(
      decideConversation(del('ann', textBy('ann', { deleted: true })), direct(), at(DELETE_WINDOW + 10)),
    );
  });
});

describe('message actions decider: delete for me', () => {
  test('any member hides any message, at any time; a stranger is NOT_A_MEMBER', () => {
    const [e] = events(decideConversation(hide('bob', textBy('ann')), direct(), at(10 * DELETE_WINDOW)));
    assert.equal(e?.type, 'MessageHidden');
    if (e?.type === 'MessageHidden') assert.equal(e.data.userId, 'bob');
    refused(decideConversation(hide('eve', textBy('ann')), direct(), at(1)), 'NOT_A_MEMBER');
    refused(decideConversation(hide('bob', undefined), direct(), at(1)), 'NOT_FOUND');
  });

  test('actions change no membership', () => {
    const state = direct();
    const [e] = events(decideConversation(hide('bob', textBy('ann')), state, at(1)));
    assert.equal(evolveConversation(state, e!, 99), state);
  });
});

describe('message actions decider: reactions', () => {
  const react = (userId: string, target: MessageFacts | undefined, emoji?: string) =>
    ({ type: 'ReactToMessage', ...base(userId, target), ...(emoji !== undefined ? { emoji } : {}) }) as const;

  test('any member reacts with one emoji (a modifier, a ZWJ family, a flag, a keycap count as one)', () => {
    for (const emoji of ['👍', '👍🏽', '👨‍👩‍👧', '🇫🇷', '1️⃣', '❤️']) {
      const [e] = events(decideConversation(react('bob', textBy('ann'), emoji), direct(), at(1)));
      assert.equal(e?.type === 'MessageReacted' ? e.data.emoji : undefined, emoji);
    }
  });

  test('no emoji removes the reaction', () => {
    const [e] = events(decideConversation(react('bob', textBy('ann')), direct(), at(1)));
    assert.equal(e?.type, 'MessageReacted');
    if (e?.type === 'MessageReacted') assert.equal('emoji' in e.data, false);
  });

  test('refusals: not one emoji, not a member, a deleted or system message, no such message', () => {
    for (const emoji of ['a', '👍👍', ' ', 'ok', '👍a'])
      refused(decideConversation(react('bob', textBy('ann'), emoji), direct(), at(1)), 'VALIDATION_FAILED');
    refused(decideConversation(react('eve', textBy('ann'), '👍'), direct(), at(1)), 'NOT_A_MEMBER');
    refused(
      decideConversation(react('bob', textBy('ann', { deleted: true }), '👍'), direct(), at(1)),
      'NOT_FOUND',
    );
    refused(
      decideConversation(react('bob', textBy('ann', { kind: 'system' }), '👍'), group(), at(1)),
      'VALIDATION_FAILED',
    );
    refused(decideConversation(react('bob', undefined, '👍'), direct(), at(1)), 'NOT_FOUND');
  });
});

describe('forwarding rule', () => {
  const text = (forwardCount = 0, extra: Partial<ForwardSource> = {}): ForwardSource => ({
    kind: 'text',
    deleted: false,
    viewOnce: false,
    forwardCount,
    ...extra,
  });
  const code = (d: ReturnType<typeof decideForward>): string | undefined => (d.ok ? undefined : d.error.code);

  test('a copy counts one hop more; up to five chats at once', () => {
    assert.deepEqual(decideForward(text(0), 5), { ok: true, forwardCount: 1 });
    assert.deepEqual(decideForward(text(3), 2), { ok: true, forwardCount: 4 });
    assert.equal(code(decideForward(text(0), 6)), 'VALIDATION_FAILED');
    assert.equal(code(decideForward(text(0), 0)), 'VALIDATION_FAILED');
  });

  test('forwarded many times (five hops or more): one chat at a time', () => {
    assert.equal(code(decideForward(text(4), 5)), undefined);
    assert.equal(code(decideForward(text(5), 2)), 'FORWARDED_MANY_TIMES');
    assert.deepEqual(decideForward(text(5), 1), { ok: true, forwardCount: 6 });
  });

  test('not forwardable: no such or a deleted message, a system or e2e message, view-once media', () => {
    assert.equal(code(decideForward(undefined, 1)), 'NOT_FOUND');
    assert.equal(code(decideForward(text(0, { deleted: true }), 1)), 'NOT_FOUND');
    assert.equal(code(decideForward(text(0, { kind: 'system' }), 1)), 'VALIDATION_FAILED');
    assert.equal(code(decideForward(text(0, { kind: 'e2e' }), 1)), 'VALIDATION_FAILED');
    assert.equal(code(decideForward(text(0, { kind: 'media', viewOnce: true }), 1)), 'VALIDATION_FAILED');
    assert.equal(code(decideForward(text(0, { kind: 'media' }), 1)), undefined);
  });

  test('a forwarded send carries its count in MessageSent', () => {
    const d = decideConversation(
      {
        type: 'SendMessage',
        messageId: '77',
        senderUserId: 'ann',
        senderDeviceId: 'ann-phone',
        clientMessageId: 'c1',
        content: { type: 'text', text: 'fwd' },
        maxTextChars: 100,
        forwardCount: 3,
      },
      direct(),
      at(0),
    );
    const [e] = events(d);
    assert.equal(e?.type === 'MessageSent' ? e.data.forwardCount : undefined, 3);
  });
});

describe('location messages', () => {
  const send = (location: Omit<LocationContentInput, 'type'>) =>
    decideConversation(
      {
        type: 'SendMessage',
        messageId: '78',
        senderUserId: 'ann',
        senderDeviceId: 'ann-phone',
        clientMessageId: 'c2',
        content: { type: 'location', ...location },
        maxTextChars: 100,
      },
      direct(),
      at(0),
    );

  test('a point with optional name and address; live for a chosen period', () => {
    const [e] = events(send({ latitude: -33.8568, longitude: 151.2153, name: 'Opera House' }));
    assert.deepEqual(e?.type === 'MessageSent' ? e.data.content : undefined, {
      type: 'location',
      coordinates: '-33.8568,151.2153',
      name: 'Opera House',
    });
    const [live] = events(send({ latitude: 0, longitude: 0, liveSeconds: 900 }));
    const content = live?.type === 'MessageSent' ? live.data.content : undefined;
    assert.equal(content?.type === 'location' ? content.liveUntil : undefined, at(900).now.toISOString());
  });

  test('ranges and lengths: VALIDATION_FAILED', () => {
    for (const bad of [
      { latitude: 90.0001, longitude: 0 },
      { latitude: 0, longitude: 180.5 },
      { latitude: Number.NaN, longitude: 0 },
      { latitude: 0, longitude: 0, name: '  ' },
      { latitude: 0, longitude: 0, liveSeconds: 59 },
      { latitude: 0, longitude: 0, liveSeconds: 8 * 3600 + 1 },
    ])
      refused(send(bad), 'VALIDATION_FAILED');
  });

  test('the stored point round-trips; anything else (a forgotten one) parses to nothing', () => {
    assert.deepEqual(parseCoordinates(coordinatesOf(-12.345678, 98.7654321)), {
      latitude: -12.345678,
      longitude: 98.7654321,
    });
    for (const bad of ['[forgotten]', ',', '1,2,3', '91,0', 'a,b'])
      assert.equal(parseCoordinates(bad), undefined);
  });

  const liveFacts = (extra: Partial<MessageFacts> = {}): MessageFacts =>
    textBy('ann', { kind: 'location', liveUntil: at(600).now.toISOString(), ...extra });
  const move = (
    userId: string,
    target: MessageFacts,
    change: { location?: { latitude: number; longitude: number }; stopLive?: true },
  ) =>
    ({
      type: 'EditMessage',
      ...base(userId, target),
      ...change,
      editWindowSeconds: EDIT_WINDOW,
      maxTextChars: 20,
    }) as const;

  test('live location: the sender moves it while shared (past the edit window too) and stops it', () => {
    const [e] = events(
      decideConversation(
        move('ann', liveFacts(), { location: { latitude: 1.5, longitude: -2 } }),
        direct(),
        at(599),
      ),
    );
    assert.equal(e?.type === 'MessageEdited' ? e.data.coordinates : undefined, '1.5,-2');
    const [stop] = events(decideConversation(move('ann', liveFacts(), { stopLive: true }), direct(), at(10)));
    assert.equal(stop?.type === 'MessageEdited' ? stop.data.liveStopped : undefined, true);
  });

  test('live location refusals: over, stopped, not the sender, not live, out of range', () => {
    const point = { location: { latitude: 1, longitude: 1 } };
    refused(decideConversation(move('ann', liveFacts(), point), direct(), at(601)), 'ACTION_WINDOW_OVER');
    refused(
      decideConversation(move('ann', liveFacts({ liveStopped: true }), point), direct(), at(1)),
      'ACTION_WINDOW_OVER',
    );
    refused(decideConversation(move('bob', liveFacts(), point), direct(), at(1)), 'NOT_THE_SENDER');
    refused(
      decideConversation(move('ann', textBy('ann', { kind: 'location' }), point), direct(), at(1)),
      'VALIDATION_FAILED',
    );
    refused(decideConversation(move('ann', textBy('ann'), point), direct(), at(1)), 'VALIDATION_FAILED');
    refused(
      decideConversation(
        move('ann', liveFacts(), { location: { latitude: 95, longitude: 1 } }),
        direct(),
        at(1),
      ),
      'VALIDATION_FAILED',
    );
    refused(
      decideConversation(move('ann', liveFacts(), { ...point, stopLive: true }), direct(), at(1)),
      'VALIDATION_FAILED',
    );
  });
});

describe('conversation preferences (user aggregate)', () => {
  const registered = (): UserState =>
    evolveUser(initialUserState(), {
      type: 'UserRegistered',
      version: 2,
      id: 'e0',
      occurredAt: SENT.toISOString(),
      data: { userId: 'ann', phone: '+14155550100' },
    });
  const givenUser = (...commands: UserCommand[]): UserState => {
    let state = registered();
    for (const c of commands) {
      const d = decideUser(c, state, at(0));
      assert.ok(d.ok, `given ${c.type} was rejected`);
      for (const e of d.events) state = evolveUser(state, e);
    }
    return state;
  };
  const pin = (conversationId: string, pinned = true): UserCommand => ({
    type: 'PinConversation',
    conversationId,
    pinned,
  });

  test('at most 3 pinned: the fourth is PIN_LIMIT until one is unpinned', () => {
    const three = givenUser(pin('c1'), pin('c2'), pin('c3'));
    const d = decideUser(pin('c4'), three, at(0));
    assert.equal(d.ok ? undefined : d.error.code, 'PIN_LIMIT');
    const [e] = events(
      decideUser(pin('c4'), givenUser(pin('c1'), pin('c2'), pin('c3'), pin('c2', false)), at(0)),
    );
    assert.equal(e?.type, 'ConversationPinned');
  });

  test('pinning what is pinned (or unpinning what is not) records nothing', () => {
    assert.deepEqual(events(decideUser(pin('c1'), givenUser(pin('c1')), at(0))), []);
    assert.deepEqual(events(decideUser(pin('c9', false), registered(), at(0))), []);
  });

  test('archive and star record the value asked for', () => {
    const [a] = events(
      decideUser({ type: 'ArchiveConversation', conversationId: 'c1', archived: true }, registered(), at(0)),
    );
    assert.deepEqual(a?.data, { userId: 'ann', conversationId: 'c1', archived: true });
    const [s] = events(
      decideUser(
        { type: 'StarMessage', conversationId: 'c1', messageId: '5', starred: false },
        registered(),
        at(0),
      ),
    );
    assert.deepEqual(s?.data, { userId: 'ann', conversationId: 'c1', messageId: '5', starred: false });
  });
});

describe('group icon (ChangeGroupInfo)', () => {
  const info = (by: string, change: { iconId?: string; removeIcon?: true }): ConversationCommand => ({
    type: 'ChangeGroupInfo',
    by,
    ...change,
    systemMessageId: '200',
  });

  test('a member sets the icon; the state holds it until it is removed', () => {
    const [e] = events(decideConversation(info('bob', { iconId: 'm_icon' }), group(), at(1)));
    assert.equal(e?.type === 'GroupInfoChanged' ? e.data.iconId : undefined, 'm_icon');
    const withIcon = evolveConversation(group(), e!, 10);
    assert.equal(withIcon.status === 'active' ? withIcon.iconId : undefined, 'm_icon');
    const [removed] = events(decideConversation(info('ann', { removeIcon: true }), withIcon, at(2)));
    const without = evolveConversation(withIcon, removed!, 11);
    assert.equal(without.status === 'active' ? without.iconId : 'x', undefined);
  });

  test('both a new icon and its removal is VALIDATION_FAILED; a stranger NOT_A_MEMBER', () => {
    refused(
      decideConversation(info('bob', { iconId: 'm', removeIcon: true }), group(), at(1)),
      'VALIDATION_FAILED',
    );
    refused(decideConversation(info('eve', { iconId: 'm' }), group(), at(1)), 'NOT_A_MEMBER');
  });

  test('members keep the time they joined; a newcomer joins at the event that added them', () => {
    const g = group();
    const added = events(
      decideConversation(
        { type: 'AddGroupMembers', by: 'ann', userIds: ['dan'], maxMembers: 10, systemMessageId: '300' },
        g,
        at(60),
      ),
    );
    const after = evolveConversation(g, { ...added[0]!, occurredAt: at(60).now.toISOString() }, 20);
    assert.equal(after.status === 'active' ? after.joinedAt.get('ann') : undefined, SENT.toISOString());
    assert.equal(after.status === 'active' ? after.joinedAt.get('dan') : undefined, at(60).now.toISOString());
  });
});
