import { parseArgs } from 'node:util';
import { createCassandraClient, SCHEMA_CHANGE_TIMEOUT_MS, type CqlClient } from '#libs/cassandra';
import { CassandraConfig, loadConfig, RetentionConfig } from '#libs/config';
import { EventSchemaError, type ChatEvent, type PersonalDataVault, type UserEvent } from '#libs/events';
import { vaultOver } from '../cli/cassandra-context.js';
import { readStream, userStreamName, type NatsClient } from '#libs/nats';
import {
  applyToUsersModel,
  DeviceStore,
  ReadModelVersions,
  usersTables,
  usersTablesDdl,
} from '#libs/read-models';
import { withNats } from '../cli/nats-context.js';
import { Progress } from '../cli/output.js';
import { KeyedLanes } from './rebuild/keyed-lanes.js';
import { UsageError } from '../cli/usage-error.js';
import { rebuildConversations } from './rebuild/rebuild-conversations.js';

export const rebuildUsage = `chatctl rebuild users|conversations [--by <who>] [--per-event]
  replays the log into new versioned tables (<table>_v<n>) while the system runs, with progress and
  ETA on stderr; once caught up it switches readers (gateway, projector) over through
  read_model_versions; the old tables serve until then.
  users: the USERS stream into users_v<n>, devices_by_user_v<n>.
  conversations: every CHAT_<p> stream into the timelines (messages_by_conversation, messages_by_id,
    client_messages), conversations, conversations_by_user, message_status, read_markers,
    conversation_members and group_info. Not rebuilt, and left as they are: device inboxes and cursors
    (delivery state: acks delete entries, so a replay would redeliver), media rows (lifecycle: a replay
    would make opened view-once media pending again), presence. It delivers nothing. In transient
    retention the log holds the window only, and so does the rebuilt model. The first pass folds direct
    conversations in memory and writes them in unlogged batches per partition; groups, and every later
    pass, go through the live projection event by event (--per-event: everything does).`;

const IN_FLIGHT = 256;

/** Applies a range of USERS events to fixed-version tables, many writes at once (they are stamped). */
class UsersReplay {
  applied = 0;
  undecodable = 0;

  constructor(
    private readonly client: NatsClient,
    private readonly target: DeviceStore,
    private readonly progress: Progress,
    private readonly vault: PersonalDataVault<ChatEvent>,
  ) {}

  /** Replays everything after `applied` up to the stream's end now; returns how many events it read. */
  async pass(): Promise<number> {
    const stream = userStreamName(this.client.topology);
    const end = (await this.client.jsm.streams.info(stream)).state.last_seq;
    if (end <= this.applied) return 0;
    this.progress.setTotal(this.progress.count + (end - this.applied));
    // A lane per event: the writes are stamped with their sequence, so no order is needed.
    const lanes = new KeyedLanes(IN_FLIGHT);
    let read = 0;
    for await (const m of readStream(this.client.js, this.client.jsm, stream, {
      fromSeq: this.applied + 1,
      toSeq: end,
    })) {
      read++;
      await lanes.run(String(m.seq), () => this.apply(stream, m.seq, m.data));
    }
    await lanes.drain();
    this.applied = end;
    return read;
  }

  private async apply(stream: string, seq: number, data: Uint8Array): Promise<void> {
    let event: UserEvent;
    try {
      event = (await this.vault.decode(data)) as UserEvent;
    } catch (err) {
      if (!(err instanceof EventSchemaError)) throw err;
      this.undecodable++;
      process.stderr.write(`rebuild: ${stream} sequence ${seq} undecodable (${err.code}); skipped\n`);
      this.progress.tick();
      return;
    }
    await applyToUsersModel(this.target, event, seq);
    this.progress.tick();
  }
}

async function rebuildUsers(client: NatsClient, cql: CqlClient, by: string): Promise<void> {
  const versions = new ReadModelVersions(cql);
  const current = await versions.read('users');
  const next = current + 1;
  const tables = usersTables(next);
  for (const ddl of usersTablesDdl(next))
    await cql.execute(ddl, [], { readTimeout: SCHEMA_CHANGE_TIMEOUT_MS });
  // A rebuild that died earlier may have left rows: start from empty tables.
  await cql.execute(`TRUNCATE ${tables.users}`);
  await cql.execute(`TRUNCATE ${tables.devices}`);
  process.stderr.write(
    `rebuild users: v${current} serves; building v${next} (${tables.users}, ${tables.devices})\n`,
  );

  const progress = new Progress('rebuild users');
  const started = Date.now();
  const replay = new UsersReplay(client, new DeviceStore(cql, next), progress, vaultOver(cql));
  // Catch up until a pass finds little new: the stream keeps growing while we read.
  while ((await replay.pass()) > 100);

  await versions.switchTo('users', next, by, new Date());
  const replaySeconds = (Date.now() - started) / 1000;
  process.stderr.write(
    `rebuild users: caught up at sequence ${replay.applied}: replayed ${progress.count} events in ${replaySeconds.toFixed(2)}s (${Math.round(progress.count / replaySeconds)} events/s); readers switched to v${next}\n`,
  );
  // Readers re-read the version within refreshMs; until then the live projector may still write the old
  // tables. Wait for every reader to have switched, then apply what arrived meanwhile (idempotent).
  await new Promise((r) => setTimeout(r, versions.followMs));
  await replay.pass();
  progress.done(replay.undecodable > 0 ? `, ${replay.undecodable} undecodable skipped` : '');
  const old = usersTables(current);
  process.stderr.write(
    `rebuild users: done; v${current} tables (${old.users}, ${old.devices}) are no longer read: drop them once satisfied\n`,
  );
}

export async function runRebuild(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { by: { type: 'string', default: 'chatctl' }, 'per-event': { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const [projection] = positionals;
  if (projection !== 'users' && projection !== 'conversations')
    throw new UsageError(
      `rebuild: "users" or "conversations" can be rebuilt into a new version (got ${projection ?? 'nothing'})`,
    );
  const { cassandra, retention } = loadConfig({ cassandra: CassandraConfig, retention: RetentionConfig });
  const cql = createCassandraClient(cassandra, { applicationName: 'chatctl-rebuild' });
  try {
    await withNats('rebuild', (client) =>
      projection === 'users'
        ? rebuildUsers(client, cql, values.by)
        : rebuildConversations(client, cql, retention, values.by, { perEvent: values['per-event'] }),
    );
  } finally {
    await cql.shutdown();
  }
}
