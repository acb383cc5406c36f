import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createRedis } from '#libs/redis';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';

const env = createTestEnv();

describe('Redis adapter (real redis-server)', () => {
  after(() => cleanupTestEnv(env));

  test('set and get through the adapter, under the configured key prefix', async () => {
    const redis = createRedis(env.redis, 'redis-test');
    const raw = new Redis(env.redis.REDIS_URL);
    try {
      await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
      await redis.set('greeting', 'hello', 'EX', 60);
      assert.equal(await redis.get('greeting'), 'hello');
      assert.equal(await raw.get(`${env.id}:greeting`), 'hello');
      assert.equal(await raw.get('greeting'), null);
    } finally {
      redis.disconnect();
      raw.disconnect();
    }
  });
});
