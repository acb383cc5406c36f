import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideConversation,
  evolveConversation,
  initialConversationState,
  type CommandContext,
  type ConversationCommand,
  type ConversationState,
  type Decision,
  type MessageFacts,
} from '#libs/domain';
import {
  chatEventCodec,
  contentKeyEnd,
  contentKeyFor,
  PersonalDataVault,
  type ChatEvent,
  type ConversationEvent,
  type PersonalKeyStore,
  FORGOTTEN,
  newPersonalKey,
} from '#libs/events';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number): CommandContext => ({
  now: new Date(T0.getTime() + seconds * 1000),
  newEventId: () => 'e1',
});
const DAY = 86_400;

/** Given these commands (each accepted, at T0), the state they leave. */
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

const openDirect: ConversationCommand = {
  type: 'CreateDirectConversation',
  createdBy: 'ann',
  peerUserId: 'bob',
};
const createGroup: ConversationCommand = {
  type: 'CreateGroup',
  conversationId: 'g_vanish',
  createdBy: 'ann',
  subject: 'Vanish',
  memberUserIds: ['bob', 'carol'],
  systemMessageId: '100',
  maxMembers: 10,
};
const setTimer = (
  by: string,
  timer: 'off' | '24h' | '7d' | '90d',
  seconds?: number,
): ConversationCommand => ({
  type: 'SetDisappearingTimer',
  by,
  timer,
  seconds: seconds ?? (timer === 'off' ? 0 : timer === '24h' ? DAY : timer === '7d' ? 7 * DAY : 90 * DAY),
  systemMessageId: '200',
});
const send = (messageId = '300'): ConversationCommand => ({
  type: 'SendMessage',
  messageId,
  senderUserId: 'ann',
  senderDeviceId: 'ann-phone',
  clientMessageId: `c-${messageId}`,
  content: { type: 'text', text: 'gone soon' },
  maxTextChars: 100,
});

function refusedWith(d: Decision<ConversationEvent>, code: string): void {
  assert.ok(!d.ok, 'expected a refusal');
  assert.equal(d.error.code, code);
}
function only(d: Decision<ConversationEvent>): ConversationEvent {
  assert.ok(d.ok, d.ok ? '' : d.error.message);
  assert.equal(d.events.length, 1);
  return d.events[0]!;
}

describe('disappearing messages decider', () => {
  test('given a direct chat, when either member turns it on, then DisappearingTimerChanged with its seconds and system message', () => {
    for (const by of ['ann', 'bob']) {
      const e = only(decideConversation(setTimer(by, '7d'), given(openDirect), at(5)));
      assert.equal(e.type, 'DisappearingTimerChanged');
      assert.deepEqual(e.data, {
        conversationId: 'd_ann_bob',
        changedBy: by,
        timer: '7d',
        seconds: 7 * DAY,
        systemMessageId: '200',
      });
    }
  });

  test('a stranger is refused NOT_A_MEMBER; an inconsistent duration VALIDATION_FAILED', () => {
    refusedWith(decideConversation(setTimer('eve', '24h'), given(openDirect), at(1)), 'NOT_A_MEMBER');
    refusedWith(decideConversation(setTimer('ann', 'off', 5), given(openDirect), at(1)), 'VALIDATION_FAILED');
    refusedWith(decideConversation(setTimer('ann', '24h', 0), given(openDirect), at(1)), 'VALIDATION_FAILED');
  });

  test('in a group, any member while everyone may edit the info; only admins once it is admins-only', () => {
    assert.ok(decideConversation(setTimer('bob', '24h'), given(createGroup), at(1)).ok);
    const locked = given(createGroup, {
      type: 'ChangeGroupSettings',
      by: 'ann',
      editInfo: 'admins',
      systemMessageId: '150',
    });
    refusedWith(decideConversation(setTimer('bob', '24h'), locked, at(1)), 'NOT_AN_ADMIN');
    assert.ok(decideConversation(setTimer('ann', '24h'), locked, at(1)).ok);
  });

  test('a message sent while it is on carries its expiry and content key; while off, neither', () => {
    const off = only(decideConversation(send(), given(openDirect), at(10)));
    assert.equal(off.type, 'MessageSent');
    assert.ok(
      off.type === 'MessageSent' && off.data.expiresAt === undefined && off.data.contentKey === undefined,
    );

    const on = given(openDirect, setTimer('bob', '24h'));
    const e = only(decideConversation(send(), on, at(10)));
    assert.ok(e.type === 'MessageSent');
    const expiresAt = new Date(T0.getTime() + (10 + DAY) * 1000);
    assert.equal(e.data.expiresAt, expiresAt.toISOString());
    assert.equal(e.data.contentKey, contentKeyFor(expiresAt, DAY));
    // The key's slice ends within 1/24 of the timer after the expiry, never before it.
    const end = contentKeyEnd(e.data.contentKey!)!.getTime();
    assert.ok(end >= expiresAt.getTime() && end - expiresAt.getTime() <= 3600 * 1000);
  });

  test('a message keeps the timer it was sent under: turning it off changes nothing already sent', () => {
    const on = given(openDirect, setTimer('ann', '90d'));
    const first = only(decideConversation(send('301'), on, at(0)));
    const off = evolveConversation(on, only(decideConversation(setTimer('bob', 'off'), on, at(1))), 99);
    const later = only(decideConversation(send('302'), off, at(2)));
    assert.ok(first.type === 'MessageSent' && first.data.expiresAt !== undefined);
    assert.ok(later.type === 'MessageSent' && later.data.expiresAt === undefined);
    assert.deepEqual(off.status === 'active' && off.disappearing, { timer: 'off', seconds: 0 });
  });

  test('a short test timer gives one-second key slices', () => {
    const on = given(openDirect, setTimer('ann', '24h', 3));
    const e = only(decideConversation(send(), on, at(0)));
    assert.ok(e.type === 'MessageSent');
    assert.equal(e.data.contentKey, `expiry-${T0.getTime() / 1000 + 3}`);
  });

  test('ExpireMessage: refused before the expiry, MessageExpired from it on', () => {
    const state = given(openDirect);
    const expiresAt = new Date(T0.getTime() + 60_000).toISOString();
    const expire: ConversationCommand = { type: 'ExpireMessage', messageId: '300', expiresAt };
    refusedWith(decideConversation(expire, state, at(59)), 'VALIDATION_FAILED');
    const e = only(decideConversation(expire, state, at(60)));
    assert.deepEqual(e, {
      type: 'MessageExpired',
      version: 1,
      id: 'e1',
      occurredAt: at(60).now.toISOString(),
      data: { conversationId: 'd_ann_bob', messageId: '300', expiredAt: at(60).now.toISOString() },
    });
    refusedWith(decideConversation(expire, initialConversationState(), at(60)), 'NOT_FOUND');
  });

  test("an edit of a disappearing message is sealed with the message's content key", () => {
    const expiresAt = new Date(T0.getTime() + DAY * 1000).toISOString();
    const target: MessageFacts = {
      senderUserId: 'ann',
      sentAt: T0.toISOString(),
      kind: 'text',
      deleted: false,
      expiresAt,
    };
    const e = only(
      decideConversation(
        {
          type: 'EditMessage',
          messageId: '300',
          userId: 'ann',
          deviceId: 'ann-phone',
          clientActionId: 'a-1',
          target,
          text: 'changed',
          editWindowSeconds: 900,
          maxTextChars: 100,
        },
        given(openDirect),
        at(5),
      ),
    );
    assert.ok(e.type === 'MessageEdited');
    assert.equal(e.data.contentKey, contentKeyFor(new Date(expiresAt), DAY));
  });
});

/** Keys in memory: destroying one makes what it sealed unreadable. */
class MemoryKeys implements PersonalKeyStore {
  readonly keys = new Map<string, Uint8Array | null>();
  keyFor(owner: string): Promise<Uint8Array> {
    if (!this.keys.has(owner)) this.keys.set(owner, newPersonalKey());
    return Promise.resolve(this.keys.get(owner)!);
  }
  existingKey(owner: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.keys.get(owner) ?? undefined);
  }
  evict(): void {}
}

describe('disappearing content in the log (crypto-shredding)', () => {
  test("a disappearing message's text is sealed with its content key, not its sender's: destroying the key forgets it alone", async () => {
    const keys = new MemoryKeys();
    const vault = new PersonalDataVault<ChatEvent>(chatEventCodec, keys);
    const on = given(openDirect, setTimer('ann', '24h', 3));
    const vanishing = only(decideConversation(send('301'), on, at(0))) as ChatEvent;
    const kept = only(decideConversation(send('302'), given(openDirect), at(0))) as ChatEvent;
    const [a, b] = [await vault.encode(vanishing), await vault.encode(kept)];
    assert.ok(!new TextDecoder().decode(a).includes('gone soon'), 'sealed in the stored bytes');
    assert.ok(vanishing.type === 'MessageSent');
    keys.keys.set(vanishing.data.contentKey!, null); // the sweeper destroyed it
    const opened = await vault.decode(a);
    assert.ok(opened.type === 'MessageSent' && opened.data.content.type === 'text');
    assert.equal(opened.data.content.text, FORGOTTEN);
    const still = await vault.decode(b);
    assert.ok(still.type === 'MessageSent' && still.data.content.type === 'text');
    assert.equal(still.data.content.text, 'gone soon', "the sender's other messages open as before");
  });
});
