import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatStack } from '../support/chat-stack.js';

let stack: ChatStack;

describe('health and metrics live on the management port only', () => {
  before(async () => {
    stack = await ChatStack.start();
    await stack.startNotifier();
  });
  after(async () => {
    await stack?.stop();
  });

  test('the public API port answers 404 to /metrics, /readyz and /healthz, without authentication or with', async () => {
    const gateway = stack.gateways[0]!;
    for (const path of ['/metrics', '/readyz', '/healthz']) {
      const res = await fetch(`${gateway.url}${path}`);
      const body = await res.text();
      assert.equal(res.status, 404, `${path} on the public port answered ${res.status}`);
      assert.doesNotMatch(body, /chat_process_|dependencies/);
      assert.deepEqual((JSON.parse(body) as { error: { code: string } }).error.code, 'NOT_FOUND');
    }
  });

  test('every app serves /healthz, /readyz and /metrics on its own management port', async () => {
    const apps = [...stack.gateways, stack.projector!, ...stack.notifiers];
    const ports = new Set(apps.map((a) => new URL(a.managementUrl).port));
    assert.equal(ports.size, apps.length, 'each app has its own management port');
    for (const app of apps) {
      assert.notEqual(app.managementUrl, app.name === 'gateway' ? app.url : undefined);
      assert.equal((await app.get('/healthz')).status, 200, `${app.name} /healthz`);
      const ready = await app.get('/readyz');
      assert.equal(ready.status, 200, `${app.name} /readyz: ${ready.body}`);
      assert.equal((JSON.parse(ready.body) as { status: string }).status, 'ready');
      const metrics = await app.get('/metrics');
      assert.equal(metrics.status, 200);
      assert.match(metrics.body, new RegExp(`service="${app.name}"`));
      for (const path of ['/v1/auth/code', '/constructor', '/__proto__'])
        assert.equal(
          (await app.get(path)).status,
          404,
          `${app.name} ${path}: the management port serves no more`,
        );
      assert.equal((await app.get('/healthz')).status, 200, `${app.name} still answers`);
    }
  });

  test('the projector and the notifier open no public port', () => {
    for (const app of [stack.projector!, ...stack.notifiers]) {
      assert.throws(() => app.url, /serves no public API port/);
      assert.doesNotMatch(app.output.join(''), /"url":"/);
    }
  });
});
