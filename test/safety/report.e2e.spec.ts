import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportRow } from '#libs/read-models';
import { eventually } from '../support/app-process.js';
import { ChatStack } from '../support/chat-stack.js';
import { chatctl } from '../support/chatctl.js';
import { signUp, type TestDevice } from '../support/chat-users.js';
import { refused } from '../media/media-helpers.js';

let stack: ChatStack;
let spammer: TestDevice, ann: TestDevice, ben: TestDevice;

async function shown(reportId: string): Promise<ReportRow | undefined> {
  const r = await chatctl(stack.env, ['reports', 'show', reportId]);
  return r.code === 0 ? (JSON.parse(r.stdout) as ReportRow) : undefined;
}

async function waitForReport(reportId: string, match: (r: ReportRow) => boolean): Promise<ReportRow> {
  let last: ReportRow | undefined;
  await eventually(
    async () => {
      last = await shown(reportId);
      return last !== undefined && match(last);
    },
    20_000,
    `report ${reportId}`,
  );
  return last!;
}

describe('report: users and conversations, attached messages, block, chatctl reports, flagged in metrics', () => {
  before(async () => {
    // Two distinct reporters flag a user here (5 by default).
    stack = await ChatStack.start({ overrides: { REPORT_FLAG_THRESHOLD: '2' } });
    [spammer, ann, ben] = await Promise.all([signUp(stack), signUp(stack), signUp(stack)]);
    await Promise.all([spammer, ann, ben].map((d) => d.connect()));
  });
  after(async () => {
    await Promise.all([spammer, ann, ben].map((d) => d?.disconnect().catch(() => undefined)));
    await stack.stop();
  });

  test('a report of a conversation carries the messages the server copied; chatctl lists, shows, resolves it', async () => {
    const { conversationId } = await spammer.chat.openDirect(ann.userId);
    const first = await spammer.chat.send(conversationId, 'buy cheap watches');
    const second = await spammer.chat.send(conversationId, 'click here now');
    await ann.waitForMessages(conversationId, 2);

    const { reportId, blocked } = await ann.chat.report({
      conversationId,
      reason: 'spam',
      comment: 'again and again',
      messageIds: [first.messageId, second.messageId],
      block: true,
    });
    assert.equal(blocked, true);
    assert.deepEqual((await ann.chat.blockList()).blocked, [spammer.userId], 'reporting also blocked');

    const row = await waitForReport(reportId, () => true);
    assert.equal(row.reporterUserId, ann.userId);
    assert.deepEqual(row.target, { kind: 'conversation', id: conversationId });
    assert.deepEqual(row.reportedUserIds, [spammer.userId]);
    assert.deepEqual(
      row.messages.map((m) => [m.messageId, m.senderUserId, m.text, m.source]),
      [
        [first.messageId, spammer.userId, 'buy cheap watches', 'server'],
        [second.messageId, spammer.userId, 'click here now', 'server'],
      ],
    );
    assert.equal(row.comment, 'again and again');
    assert.equal(row.status, 'open');

    const list = await chatctl(stack.env, ['reports', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${reportId}.*open.*spam.*${ann.userId}`));

    const done = await chatctl(stack.env, [
      'reports',
      'resolve',
      reportId,
      '--resolution',
      'actioned',
      '--by',
      'trust@example.com',
      '--note',
      'banned',
    ]);
    assert.equal(done.code, 0, done.stderr);
    const resolved = await waitForReport(reportId, (r) => r.status === 'resolved');
    assert.equal(resolved.resolution, 'actioned');
    assert.equal(resolved.resolvedBy, 'trust@example.com');
    const open = await chatctl(stack.env, ['reports', 'list', '--json']);
    assert.ok(
      !(JSON.parse(open.stdout) as ReportRow[]).some((r) => r.reportId === reportId),
      'no longer open',
    );
    const events = await chatctl(stack.env, ['events', '--user', ann.userId]);
    assert.match(events.stdout, /"type":"UserReported"/);
    assert.match(events.stdout, /"type":"ReportResolved"/);
  });

  test('messages supplied by the client (E2E) must exist from the sender named; a stranger cannot report a chat', async () => {
    const { conversationId } = await spammer.chat.openDirect(ben.userId);
    const m = await spammer.chat.send(conversationId, 'psst');
    await ben.waitForMessages(conversationId, 1);
    await refused(
      ben.chat.report({
        userId: spammer.userId,
        reason: 'abuse',
        messages: [{ messageId: m.messageId, senderUserId: ann.userId, text: 'forged' }],
      }),
      'NOT_FOUND',
    );
    await refused(ann.chat.report({ conversationId, reason: 'spam' }), 'NOT_A_MEMBER');
    await refused(ben.chat.report({ reason: 'spam' }), 'VALIDATION_FAILED');

    const { reportId } = await ben.chat.report({
      userId: spammer.userId,
      reason: 'abuse',
      messages: [{ messageId: m.messageId, senderUserId: spammer.userId, text: 'what my client decrypted' }],
    });
    const row = await waitForReport(reportId, () => true);
    assert.deepEqual(row.target, { kind: 'user', id: spammer.userId });
    assert.equal(row.messages[0]?.source, 'client');
    assert.equal(row.alsoBlocked, false);
  });

  test('a user reported by two distinct accounts is flagged in the projector metrics', async () => {
    await eventually(
      async () => {
        const { body } = await stack.projector!.get('/metrics');
        return new RegExp(`chat_reported_user_flagged\\{[^}]*user_id="${spammer.userId}"[^}]*\\} 2`).test(
          body,
        );
      },
      20_000,
      'the spammer flagged',
    );
    const { body } = await stack.projector!.get('/metrics');
    assert.match(body, /chat_reported_users_flagged_total\{[^}]*\} 1/);
    assert.doesNotMatch(body, new RegExp(`user_id="${ann.userId}"`));
  });
});
