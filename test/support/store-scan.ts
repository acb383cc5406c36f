import { ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { createCassandraClient } from '#libs/cassandra';
import { NatsClient } from '#libs/nats';
import { createS3Client } from '#libs/s3';
import type { TestEnv } from './test-env.js';

/**
 * Where each needle can still be read in this test's slice of the servers, as `<where>: <needle>`: every
 * JetStream message of its namespace (data and headers, DLQ too) and every row of every table of its
 * keyspace (bytes as latin1, so an ASCII needle shows inside a blob), and with the options every object
 * of its bucket and every value under its Redis prefix. Used to show that end-to-end encryption keeps
 * plaintexts out of the servers, and that `chatctl forget` leaves a user's secrets nowhere.
 */
export async function readableNeedles(
  env: TestEnv,
  needles: readonly string[],
  also: { readonly s3?: boolean; readonly redis?: boolean } = {},
): Promise<string[]> {
  const found: string[] = [];
  const check = (where: string, raw: string): void => {
    for (const n of needles) if (raw.includes(n)) found.push(`${where}: ${n}`);
  };
  const nats = await NatsClient.connect(env.nats, 'store-scan');
  let scannedEvents = 0;
  try {
    const prefix = `${(env.nats.NATS_NAMESPACE ?? '').toUpperCase()}_`;
    for await (const info of nats.jsm.streams.list()) {
      if (!info.config.name.startsWith(prefix)) continue;
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const m = await nats.jsm.streams.getMessage(info.config.name, { seq }).catch(() => undefined);
        if (!m) continue;
        scannedEvents++;
        check(
          `stream ${info.config.name}#${seq}`,
          Buffer.from(m.data).toString('latin1') + JSON.stringify(m.header ? [...m.header] : []),
        );
      }
    }
  } finally {
    await nats.close();
  }
  if (scannedEvents === 0) found.push('nothing scanned in the streams (wrong namespace?)');
  const cql = createCassandraClient(env.cassandra);
  try {
    const tables = await cql.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [
      env.cassandra.CASSANDRA_KEYSPACE,
    ]);
    for (const t of tables.rows) {
      const name = t.get('table_name') as string;
      const rs = await cql.execute(`SELECT * FROM ${name}`, [], { fetchSize: 5000 });
      for await (const row of rs) {
        const raw = row
          .keys()
          .map((k) => {
            const v: unknown = row.get(k);
            return Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
          })
          .join('|');
        check(`table ${name}`, raw);
      }
    }
  } finally {
    await cql.shutdown();
  }
  if (also.s3) await scanBucket(env, check);
  if (also.redis) await scanRedis(env, check);
  return found;
}

async function scanBucket(env: TestEnv, check: (where: string, raw: string) => void): Promise<void> {
  const s3 = createS3Client(env.s3);
  try {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: env.s3.S3_BUCKET })).catch(() => undefined);
    for (const o of page?.Contents ?? []) {
      const obj = await s3.send(new GetObjectCommand({ Bucket: env.s3.S3_BUCKET, Key: o.Key! }));
      const body = Buffer.from(await obj.Body!.transformToByteArray()).toString('latin1');
      check(`object ${o.Key}`, body);
    }
  } finally {
    s3.destroy();
  }
}

async function scanRedis(env: TestEnv, check: (where: string, raw: string) => void): Promise<void> {
  const redis = new Redis(env.redis.REDIS_URL);
  try {
    for (const key of await redis.keys(`${env.redis.REDIS_KEY_PREFIX}:*`)) {
      const type = await redis.type(key);
      const value =
        type === 'string'
          ? await redis.get(key)
          : type === 'hash'
            ? JSON.stringify(await redis.hgetall(key))
            : type === 'set'
              ? JSON.stringify(await redis.smembers(key))
              : type === 'zset'
                ? JSON.stringify(await redis.zrange(key, 0, -1))
                : type === 'list'
                  ? JSON.stringify(await redis.lrange(key, 0, -1))
                  : '';
      check(`redis ${key}`, `${key} ${value}`);
    }
  } finally {
    redis.disconnect();
  }
}
