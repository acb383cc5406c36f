import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { migrate } from '#libs/cassandra';
import { AppProcess, eventually } from '../support/app-process.js';
import { createTestEnv } from '../support/test-env.js';
import { cleanupTestEnv } from '../support/cleanup.js';

/** A private redis-server, so stopping it disturbs no other test. */
function startRedis(port: number): ChildProcess {
  return spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
}

const redisPort = 20_000 + Math.floor(Math.random() * 10_000);
const env = createTestEnv({ REDIS_URL: `redis://127.0.0.1:${redisPort}` });
let redis: ChildProcess;
let app: AppProcess;

async function readiness(): Promise<{
  status: number;
  report: { status: string; dependencies: Record<string, { status: string }> };
}> {
  const res = await app.get('/readyz');
  return { status: res.status, report: JSON.parse(res.body) };
}

describe('health, readiness and metrics of a real app process', () => {
  before(async () => {
    redis = startRedis(redisPort);
    await migrate(env.cassandra);
    app = await AppProcess.start('projector', env.vars);
  });
  after(async () => {
    await app?.stop('SIGKILL');
    redis.kill('SIGKILL');
    await cleanupTestEnv(env);
  });

  test('/healthz answers 200 and /metrics serves Prometheus text', async () => {
    assert.equal((await app.get('/healthz')).status, 200);
    const metrics = await app.get('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^# HELP chat_process_/m);
    assert.match(metrics.body, /service="projector"/);
  });

  test('/readyz is 200 with every dependency up', async () => {
    await eventually(async () => (await readiness()).status === 200, 10_000, 'ready');
    const { report } = await readiness();
    assert.deepEqual(Object.keys(report.dependencies).sort(), ['cassandra', 'nats', 'redis']);
  });

  test('a stopped dependency makes /readyz 503 naming it, and it comes back when the dependency returns', async () => {
    redis.kill('SIGTERM');
    await once(redis, 'exit');
    await eventually(async () => (await readiness()).status === 503, 10_000, '503 after redis stopped');
    const down = await readiness();
    assert.equal(down.report.status, 'not_ready');
    assert.equal(down.report.dependencies.redis?.status, 'down');
    assert.equal(down.report.dependencies.nats?.status, 'up');
    assert.equal((await app.get('/healthz')).status, 200, 'liveness does not depend on dependencies');

    redis = startRedis(redisPort);
    await eventually(async () => (await readiness()).status === 200, 15_000, '200 after redis returned');
  });

  test('SIGTERM drains and exits 0, logging each step as JSON', async () => {
    const code = await app.stop('SIGTERM');
    assert.equal(code, 0);
    const lines = app.output.join('').split('\n').filter(Boolean);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
    const messages = lines.map((l) => (JSON.parse(l) as { msg?: string }).msg);
    assert.ok(messages.includes('projector shutting down'));
    assert.ok(messages.includes('projector stopped'));
  });
});

describe('config errors stop the process', () => {
  test('a missing variable exits with one line that names it', async () => {
    const env2 = createTestEnv();
    const vars = { ...env2.vars };
    delete (vars as Record<string, string | undefined>).NATS_URL;
    const err = await AppProcess.start('gateway', vars).then(
      () => assert.fail('gateway started without NATS_URL'),
      (e: unknown) => String(e),
    );
    assert.match(err, /exited with 78/);
    assert.match(err, /config: NATS_URL is missing; expected a comma-separated list of nats:\/\/ URLs/);
  });
});
