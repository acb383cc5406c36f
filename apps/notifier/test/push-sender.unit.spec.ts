import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageSent } from '#libs/events';
import { notificationContent } from '../src/messages/notification-content.js';
import { classifyStatus, retryAfterMs } from '../src/senders/push-sender.js';
import { WebPushSender } from '../src/senders/webpush.sender.js';

const sent = (content: MessageSent['data']['content']): MessageSent => ({
  type: 'MessageSent',
  version: 2,
  id: 'e',
  occurredAt: '2026-01-01T00:00:00.000Z',
  data: {
    conversationId: 'c1',
    messageId: '123',
    senderUserId: 'u1',
    senderDeviceId: 'd1',
    clientMessageId: 'x',
    membershipVersion: 1,
    content,
    sentAt: '2026-01-01T00:00:00.000Z',
  },
});

describe('provider answers', () => {
  test('429 and 5xx are retried with Retry-After; other 4xx are permanent; 2xx accepted', () => {
    assert.deepEqual(classifyStatus(200, 'x'), { kind: 'accepted' });
    assert.deepEqual(classifyStatus(429, 'x', 2000), { kind: 'retry', error: 'x', retryAfterMs: 2000 });
    assert.deepEqual(classifyStatus(503, 'x'), { kind: 'retry', error: 'x' });
    assert.deepEqual(classifyStatus(400, 'x'), { kind: 'failed', error: 'x' });
  });

  test('Retry-After in seconds or as an HTTP date', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(retryAfterMs(undefined), undefined);
    assert.equal(retryAfterMs('soon'), undefined);
  });
});

describe('notification content', () => {
  const opts = { senderName: '+14155550123', preview: 'show' as const, count: 1 };

  test('text shows the sender and a preview', () => {
    const n = notificationContent(sent({ type: 'text', text: 'hello' }), opts);
    assert.deepEqual([n.title, n.body, n.collapseKey], ['+14155550123', 'hello', 'c1']);
  });

  test('hidden preview and E2E content say only "New message"', () => {
    const hidden = notificationContent(sent({ type: 'text', text: 'secret' }), { ...opts, preview: 'hide' });
    assert.deepEqual([hidden.title, hidden.body], ['New message', 'New message']);
    const e2e = notificationContent(
      sent({
        type: 'e2e',
        envelopes: [{ userId: 'u2', deviceId: 'd2', registrationId: 7, type: 2, body: 'enp6' }],
      }),
      opts,
    );
    assert.deepEqual([e2e.title, e2e.body], ['New message', 'New message']);
  });

  test('media says its kind; a collapsed push says how many more', () => {
    const n = notificationContent(
      sent({
        type: 'media',
        mediaId: 'm1',
        kind: 'image',
        size: 10,
        contentType: 'image/jpeg',
        sha256: 'a'.repeat(64),
        viewOnce: false,
      }),
      { ...opts, count: 3 },
    );
    assert.equal(n.body, 'Photo (+2 more)');
    assert.equal(n.count, 3);
  });
});

describe('web push endpoints', () => {
  const sender = new WebPushSender(
    {
      VAPID_PUBLIC_KEY: 'x',
      VAPID_PRIVATE_KEY: 'y',
      VAPID_SUBJECT: 'mailto:ops@example.com',
      WEBPUSH_ENDPOINT_HOSTS: ['push.apple.com'],
    },
    1000,
  );
  const notification = {
    conversationId: 'c',
    messageId: '1',
    title: 't',
    body: 'b',
    count: 1,
    collapseKey: 'c',
  };
  const send = (endpoint: string) =>
    sender.send({ provider: 'webpush', endpoint, p256dh: 'a', auth: 'b' }, notification);

  test('only https endpoints of the allowed push services are posted to (no internal addresses)', async () => {
    assert.match((await send('http://web.push.apple.com/x')).kind, /invalid-token/);
    const internal = await send('https://169.254.169.254/latest');
    assert.equal(internal.kind, 'invalid-token');
    assert.match(internal.kind === 'invalid-token' ? internal.error : '', /not an allowed push service/);
    const evil = await send('https://push.apple.com.evil.example/x');
    assert.match(evil.kind === 'invalid-token' ? evil.error : '', /not an allowed push service/);
  });
});
