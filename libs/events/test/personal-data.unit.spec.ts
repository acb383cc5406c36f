import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chatEventCodec,
  EventSchemaError,
  FORGOTTEN,
  newPersonalKey,
  PersonalDataForgottenError,
  PersonalDataVault,
  type ChatEvent,
  type MessageSent,
  type PersonalKeyStore,
  type UserRegistered,
} from '#libs/events';

/** An in-memory key store: the real one is Cassandra's; this checks the vault's own logic. */
class MemoryKeys implements PersonalKeyStore {
  readonly keys = new Map<string, Uint8Array | null>();
  async keyFor(userId: string): Promise<Uint8Array> {
    const k = this.keys.get(userId);
    if (k === null) throw new PersonalDataForgottenError(userId);
    if (k) return k;
    const fresh = newPersonalKey();
    this.keys.set(userId, fresh);
    return fresh;
  }
  async existingKey(userId: string): Promise<Uint8Array | undefined> {
    return this.keys.get(userId) ?? undefined;
  }
  evict(): void {}
}

const sent: MessageSent = {
  type: 'MessageSent',
  version: 2,
  id: 'e1',
  occurredAt: '2026-01-01T00:00:00.000Z',
  data: {
    conversationId: 'c1',
    messageId: '123',
    senderUserId: 'alice',
    senderDeviceId: 'd1',
    clientMessageId: 'm1',
    membershipVersion: 1,
    content: { type: 'text', text: 'meet me at 5 Baker Street' },
    sentAt: '2026-01-01T00:00:00.000Z',
  },
};

describe('personal fields are sealed with the owner key', () => {
  test('the stored bytes hold no plaintext, and the vault opens them', async () => {
    const vault = new PersonalDataVault<ChatEvent>(chatEventCodec, new MemoryKeys());
    const bytes = await vault.encode(sent);
    assert.ok(!new TextDecoder().decode(bytes).includes('Baker'));
    const back = (await vault.decode(bytes)) as MessageSent;
    assert.deepEqual(back.data.content, sent.data.content);
    assert.equal(back.forgotten, undefined);
  });

  test('once the key is gone the field reads FORGOTTEN, listed in forgotten, without an error', async () => {
    const keys = new MemoryKeys();
    const vault = new PersonalDataVault<ChatEvent>(chatEventCodec, keys);
    const bytes = await vault.encode(sent);
    keys.keys.set('alice', null);
    const back = (await vault.decode(bytes)) as MessageSent;
    assert.deepEqual(back.data.content, { type: 'text', text: FORGOTTEN });
    assert.deepEqual(back.forgotten, ['content.text']);
    await assert.rejects(vault.encode(sent), PersonalDataForgottenError);
  });

  test('a sealed field read without the vault is refused, and another user key does not open it', async () => {
    const keys = new MemoryKeys();
    const vault = new PersonalDataVault<ChatEvent>(chatEventCodec, keys);
    const bytes = await vault.encode(sent);
    assert.throws(
      () => chatEventCodec.decode(bytes),
      (e: unknown) => e instanceof EventSchemaError && e.code === 'EVENT_SEALED',
    );
    keys.keys.set('alice', newPersonalKey());
    await assert.rejects(
      vault.decode(bytes),
      (e: unknown) => e instanceof EventSchemaError && e.code === 'EVENT_SEAL_BROKEN',
    );
  });

  test('a v1 event (plaintext) is upcast to v2 and read as it was', async () => {
    const v1 = {
      type: 'UserRegistered',
      version: 1,
      id: 'e2',
      occurredAt: '2026-01-01T00:00:00.000Z',
      data: { userId: 'bob', phone: '+14155550123' },
    };
    const vault = new PersonalDataVault<ChatEvent>(chatEventCodec, new MemoryKeys());
    const back = (await vault.decode(new TextEncoder().encode(JSON.stringify(v1)))) as UserRegistered;
    assert.equal(back.version, 2);
    assert.equal(back.data.phone, '+14155550123');
  });
});
