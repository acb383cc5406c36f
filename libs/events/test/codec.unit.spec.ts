import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  conversationSubject,
  defineEvent,
  EventCodec,
  EventSchemaError,
  parseConversationSubject,
  partitionOf,
  type EventEnvelope,
} from '#libs/events';

const NamedV2 = defineEvent({
  type: 'Named',
  version: 2,
  aggregate: 'user',
  description: 'test event',
  schema: z.object({ first: z.string(), last: z.string() }),
  upcasters: {
    1: (data) => {
      const [first = '', last = ''] = String((data as { name: string }).name).split(' ');
      return { first, last };
    },
  },
});
type Named = EventEnvelope<'Named', { first: string; last: string }>;
const codec = new EventCodec<Named>([NamedV2]);
const bytes = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
const base = { type: 'Named', id: 'e1', occurredAt: '2026-01-01T00:00:00.000Z' };

describe('event codec', () => {
  test('round-trips a valid event', () => {
    const event: Named = { ...base, type: 'Named', version: 2, data: { first: 'Ada', last: 'Lovelace' } };
    assert.deepEqual(codec.decode(codec.encode(event)), event);
  });

  test('upcasts an older stored version on read', () => {
    const decoded = codec.decode(bytes({ ...base, version: 1, data: { name: 'Ada Lovelace' } }));
    assert.equal(decoded.version, 2);
    assert.deepEqual(decoded.data, { first: 'Ada', last: 'Lovelace' });
  });

  const cases: Array<[string, unknown, string]> = [
    ['unknown type', { ...base, type: 'Nope', version: 1, data: {} }, 'EVENT_UNKNOWN_TYPE'],
    ['newer version', { ...base, version: 3, data: {} }, 'EVENT_VERSION_UNSUPPORTED'],
    ['bad data', { ...base, version: 2, data: { first: 1 } }, 'EVENT_SCHEMA_INVALID'],
    ['bad envelope', { ...base, version: 2, occurredAt: 'yesterday', data: {} }, 'EVENT_MALFORMED'],
  ];
  for (const [name, raw, code] of cases) {
    test(`rejects ${name} on read with ${code}`, () => {
      assert.throws(
        () => codec.decode(bytes(raw)),
        (e: unknown) => e instanceof EventSchemaError && e.code === code,
      );
    });
  }

  test('rejects a bad event on write', () => {
    const event = { ...base, type: 'Named', version: 2, data: { first: 'Ada' } } as unknown as Named;
    assert.throws(
      () => codec.encode(event),
      (e: unknown) => e instanceof EventSchemaError && e.code === 'EVENT_SCHEMA_INVALID',
    );
  });

  test('rejects bytes that are not JSON', () => {
    assert.throws(() => codec.decode(new TextEncoder().encode('{')), /not JSON/);
  });
});

describe('subjects', () => {
  test('partitioning is stable and within range', () => {
    assert.equal(partitionOf('abc', 1), 0);
    assert.equal(partitionOf('abc', 8), partitionOf('abc', 8));
    const seen = new Set(Array.from({ length: 200 }, (_, i) => partitionOf(`c${i}`, 8)));
    assert.equal(seen.size, 8);
  });

  test('conversation subjects carry the partition and parse back', () => {
    const space = { namespace: 'x1', partitions: 4 };
    const subject = conversationSubject(space, 'conv9', 'msg');
    assert.equal(subject, `x1.chat.conv.${partitionOf('conv9', 4)}.conv9.msg`);
    assert.deepEqual(parseConversationSubject(space, subject), {
      partition: partitionOf('conv9', 4),
      conversationId: 'conv9',
      kind: 'msg',
    });
    assert.equal(parseConversationSubject(space, 'x1.chat.user.u1'), undefined);
  });
});
