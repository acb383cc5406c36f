import { parseArgs } from 'node:util';
import type { CqlClient } from '#libs/cassandra';
import { loadConfig, RedisConfig, S3Config } from '#libs/config';
import { forgottenSubject, userSubject, type ChatEvent, type UserForgotten } from '#libs/events';
import { EventStore, LiveDeliveryBus, userStreamName, type NatsClient } from '#libs/nats';
import {
  applyToUsersModel,
  CassandraPersonalKeyStore,
  DeviceStore,
  InboxStore,
  PresenceStore,
  PushSettingsStore,
  ReadModelVersions,
  ReadModelScrubber,
  conversationsOf,
} from '#libs/read-models';
import { createRedis, scrubSessions } from '#libs/redis';
import { createS3Client, ObjectStore } from '#libs/s3';
import { requireToken } from '../../cli/args.js';
import { vaultOver, withCassandra } from '../../cli/cassandra-context.js';
import { withNats } from '../../cli/nats-context.js';
import { UsageError } from '../../cli/usage-error.js';

export const forgetUsage = `chatctl forget <userId> --requested-by <who>
  the right to be forgotten: appends UserForgotten (who asked, when) to the user's subject, destroys the
  user's data key (their phone, device names and message texts in every event become unreadable), and
  scrubs the read models (phone, devices, push tokens, timeline bodies, previews, inbox entries, media,
  sessions, presence). Progress and a summary on stderr; forgetting a user twice is harmless.`;

export async function runForget(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { 'requested-by': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const userId = requireToken('user', positionals[0]);
  const requestedBy = values['requested-by']?.trim();
  if (!userId || positionals.length !== 1) throw new UsageError('forget needs exactly one <userId>');
  if (!requestedBy) throw new UsageError('forget needs --requested-by <who> (recorded in the audit event)');
  await withCassandra('forget', (cql) =>
    withNats('forget', (client) => forget(client, cql, userId, requestedBy)),
  );
}

const say = (line: string): void => void process.stderr.write(`${line}\n`);

async function forget(
  client: NatsClient,
  cql: CqlClient,
  userId: string,
  requestedBy: string,
): Promise<void> {
  const keys = new CassandraPersonalKeyStore(cql, { ttlMs: 0, maxEntries: 1 });
  const store = new EventStore<ChatEvent>(client.js, client.jsm, vaultOver(cql));
  const stream = userStreamName(client.topology);
  const subject = userSubject(client.topology, userId);
  const history = await store.read(stream, subject);
  if (history.length === 0) throw new UsageError(`no user ${userId}`);
  const deviceIds = [
    ...new Set(history.flatMap((s) => (s.event.type === 'DeviceAdded' ? [s.event.data.deviceId] : []))),
  ];

  // 1. The audit record, once: a second request finds it and reports when and by whom.
  let audit = history.find((s) => s.event.type === 'UserForgotten');
  if (audit) {
    const earlier = audit.event as UserForgotten;
    say(
      `forget: ${userId} was already forgotten at ${earlier.data.requestedAt} (requested by ${earlier.data.requestedBy}); checking the scrub again`,
    );
  } else {
    const now = new Date();
    const event: UserForgotten = {
      type: 'UserForgotten',
      version: 1,
      id: `forget.${userId}`,
      occurredAt: now.toISOString(),
      data: { userId, requestedBy, requestedAt: now.toISOString() },
    };
    const ack = await store.append(subject, event, { msgId: `forget.${userId}` });
    audit = { event, subject, stream: ack.stream, streamSequence: ack.seq };
    say(`forget: UserForgotten appended (${ack.stream} sequence ${ack.seq}), requested by ${requestedBy}`);
  }

  // 2. The key: from now on every value sealed for the user opens to FORGOTTEN, wherever it was copied.
  const destroyed = await keys.destroy(userId, requestedBy, new Date(audit.event.occurredAt));
  client.nc.publish(forgottenSubject(client.topology, userId));
  // Open connections close now (the gateways holding them close them as for a removed device); the
  // projector does the same on UserForgotten, but may find the devices already scrubbed below.
  if (deviceIds.length > 0) new LiveDeliveryBus(client.nc, client.topology).revoke(userId, deviceIds);
  await client.nc.flush();
  say(
    destroyed
      ? 'forget: data key destroyed; processes told to drop their cached copy'
      : 'forget: data key was already destroyed',
  );

  // 3. The users model, devices, push tokens and last seen, as the projector does on UserForgotten
  //    (stamped with its sequence, so the projector applying it too changes nothing).
  const devices = new DeviceStore(cql, new ReadModelVersions(cql));
  await applyToUsersModel(devices, audit.event as UserForgotten, audit.streamSequence);
  const inbox = new InboxStore(cql);
  const push = new PushSettingsStore(cql);
  for (const deviceId of deviceIds) {
    await inbox.dropDevice(userId, deviceId, client.topology.partitions);
    await push.removeDevice(userId, deviceId, audit.streamSequence);
  }
  await new PresenceStore(cql).forgetUser(userId);
  say(`forget: phone, ${deviceIds.length} device(s), their inboxes and push tokens, last seen removed`);

  // 4. Sessions and presence in Redis.
  const redis = createRedis(loadConfig({ redis: RedisConfig }).redis, 'chatctl-forget');
  try {
    // The shared client refuses commands until connected (no offline queue): wait for it.
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    const registered = history.find((s) => s.event.type === 'UserRegistered')?.event.data as
      { phone?: string } | undefined;
    const tokens = await scrubSessions(redis, userId, deviceIds, registered?.phone);
    say(`forget: tokens refused from now on; ${tokens} refresh token(s) deleted; presence cleared`);
  } finally {
    redis.disconnect();
  }

  // 5. What the projector wrote from the user's messages before the key was destroyed.
  const { s3 } = loadConfig({ s3: S3Config });
  const objects = new ObjectStore(createS3Client(s3), s3.S3_BUCKET);
  try {
    const conversations = await conversationsOf(cql, userId);
    say(`forget: scrubbing ${conversations.length} conversation(s)`);
    const summary = await new ReadModelScrubber(cql, objects, client.topology.partitions, say).scrub(
      userId,
      conversations,
    );
    say(
      `forget: done: ${userId} forgotten; scrubbed ${summary.timelineRows} timeline row(s), ${summary.previews} preview(s), ${summary.inboxEntries} inbox entr(ies), deleted ${summary.mediaDeleted} media object(s)`,
    );
  } finally {
    objects.client.destroy();
  }
}
