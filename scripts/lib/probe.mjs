// Exit 0 when the named service answers as the stack needs it: `node probe.mjs nats|redis|s3bucket`.
const [what] = process.argv.slice(2);
const fail = (msg) => {
  process.stderr.write(`${msg}\n`);
  process.exit(1);
};
setTimeout(() => fail(`${what}: no answer within 5 s`), 5000).unref();

if (what === 'nats') {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', timeout: 2000 }).catch(
    (e) => fail(`nats: ${e.message}`),
  );
  await jetstreamManager(nc, { timeout: 2000 })
    .then((m) => m.getAccountInfo())
    .catch((e) => fail(`nats: JetStream not available (${e.message})`));
  await nc.close();
} else if (what === 'redis') {
  const { Redis } = await import('ioredis');
  const r = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  await r
    .connect()
    .then(() => r.ping())
    .catch((e) => fail(`redis: ${e.message}`));
  r.disconnect();
} else if (what === 's3bucket') {
  // Creates the media bucket if it is missing.
  const { S3Client, HeadBucketCommand, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({
    endpoint: process.env.S3_ENDPOINT,
    region: process.env.S3_REGION,
    forcePathStyle: true,
    credentials: {
      accessKeyId: process.env.S3_ACCESS_KEY_ID,
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY,
    },
  });
  const Bucket = process.env.S3_BUCKET;
  try {
    await s3.send(new HeadBucketCommand({ Bucket }));
  } catch (e) {
    if (e?.$metadata?.httpStatusCode !== 404) fail(`s3: ${e.message}`);
    await s3
      .send(new CreateBucketCommand({ Bucket }))
      .catch((err) => fail(`s3: cannot create bucket ${Bucket}: ${err.message}`));
  }
} else fail(`probe: unknown service ${what}`);
process.exit(0);
