import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSeq, parseTime } from '../src/cli/args.js';
import { renderTable } from '../src/cli/table.js';
import { UsageError } from '../src/cli/usage-error.js';
import { involvesUser } from '../src/commands/event-filter.js';
import {
  conversationCreated,
  messageRead,
  messageSent,
  userRegistered,
} from '../../../test/support/event-fixtures.js';

describe('chatctl command-line helpers', () => {
  test('times are ISO-8601 or a duration back from now', () => {
    const now = Date.parse('2026-01-02T03:04:05Z');
    assert.equal(parseTime('since', '2026-01-01T00:00:00Z', now)?.toISOString(), '2026-01-01T00:00:00.000Z');
    assert.equal(parseTime('since', '15m', now)?.toISOString(), '2026-01-02T02:49:05.000Z');
    assert.equal(parseTime('since', '2d', now)?.toISOString(), '2025-12-31T03:04:05.000Z');
    assert.equal(parseTime('since', undefined, now), undefined);
    assert.throws(() => parseTime('since', 'last tuesday', now), UsageError);
  });

  test('sequences are whole numbers from 1', () => {
    assert.equal(parseSeq('from-seq', '42'), 42);
    assert.throws(() => parseSeq('from-seq', '0'), UsageError);
    assert.throws(() => parseSeq('from-seq', '-3'), UsageError);
    assert.throws(() => parseSeq('from-seq', '1.5'), UsageError);
  });

  test('a user takes part as creator or member, sender, reader, or account owner, and nowhere else', () => {
    const sent = messageSent('c', 'bob', 'hi');
    assert.ok(involvesUser(conversationCreated('c', ['alice', 'bob']), 'bob'));
    assert.ok(involvesUser(sent, 'bob'));
    assert.ok(
      !involvesUser(sent, 'alice'),
      'a recipient is not in MessageSent: the conversation lists members',
    );
    assert.ok(involvesUser(messageRead('c', 'alice', sent.data.messageId), 'alice'));
    assert.ok(involvesUser(userRegistered('alice', '+14155550100'), 'alice'));
    assert.ok(!involvesUser(userRegistered('alice', '+14155550100'), 'bob'));
  });

  test('tables align numbers right and text left', () => {
    assert.equal(
      renderTable(
        ['name', 'n'],
        [
          ['a', 5],
          ['bbb', 123],
        ],
      ),
      ['name    n', '----  ---', 'a       5', 'bbb   123'].join('\n'),
    );
  });
});
