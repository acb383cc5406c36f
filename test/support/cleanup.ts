import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createCassandraClient, SCHEMA_CHANGE_TIMEOUT_MS } from '#libs/cassandra';
import { createRedis } from '#libs/redis';
import { createS3Client } from '#libs/s3';
import type { TestEnv } from './test-env.js';

/** Removes everything a test env created on the shared servers: streams, keyspace, keys, bucket. */
export async function cleanupTestEnv(env: TestEnv): Promise<void> {
  const nc = await connect({ servers: env.nats.NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const prefix = `${env.id.toUpperCase()}_`;
    // The projectors' lease bucket is the stream KV_<NS>_PROJECTOR_LEASES.
    for await (const name of jsm.streams.names())
      if (name.startsWith(prefix) || name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }

  const cql = createCassandraClient(env.cassandra, {
    withKeyspace: false,
    timeoutMs: SCHEMA_CHANGE_TIMEOUT_MS,
  });
  await cql
    .execute(`DROP KEYSPACE IF EXISTS ${env.cassandra.CASSANDRA_KEYSPACE}`)
    .finally(() => cql.shutdown());

  const redis = createRedis(env.redis, 'test-cleanup');
  try {
    // A test may have pointed its env at a private Redis that is gone by now.
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => redis.once('ready', () => resolve(true))),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000)),
    ]);
    // keys() takes the raw pattern, without the client's prefix.
    const keys = ready ? await redis.keys(`${env.id}:*`) : [];
    if (keys.length > 0) await redis.unlink(...keys.map((k) => k.slice(env.id.length + 1)));
  } finally {
    redis.disconnect();
  }

  const s3 = createS3Client(env.s3);
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: env.s3.S3_BUCKET }));
    const objects = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (objects.length > 0)
      await s3.send(new DeleteObjectsCommand({ Bucket: env.s3.S3_BUCKET, Delete: { Objects: objects } }));
    await s3.send(new DeleteBucketCommand({ Bucket: env.s3.S3_BUCKET }));
  } catch {
    // The bucket was never created by this test.
  } finally {
    s3.destroy();
  }
}
