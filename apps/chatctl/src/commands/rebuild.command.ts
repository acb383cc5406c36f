import { parseArgs } from 'node:util';
import { createCassandraClient, SCHEMA_CHANGE_TIMEOUT_MS, type CqlClient } from '#libs/cassandra';
import { CassandraConfig, loadConfig } from '#libs/config';
import { chatEventCodec, EventSchemaError, type UserEvent } from '#libs/events';
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
import { UsageError } from '../cli/usage-error.js';

export const rebuildUsage = `chatctl rebuild users [--by <who>]
  replays the USERS stream into new versioned tables (users_v<n>, devices_by_user_v<n>) while the system
  runs, with progress and ETA on stderr; once caught up it switches readers (gateway, projector) over
  through read_model_versions; the old tables serve until then. Only the users read model is versioned.`;

const IN_FLIGHT = 256;

/** Applies a range of USERS events to fixed-version tables, many writes at once (they are stamped). */
class UsersReplay {
  applied = 0;
  undecodable = 0;

  constructor(
    private readonly client: NatsClient,
    private readonly target: DeviceStore,
    private readonly progress: Progress,
  ) {}

  /** Replays everything after `applied` up to the stream's end now; returns how many events it read. */
  async pass(): Promise<number> {
    const stream = userStreamName(this.client.topology);
    const end = (await this.client.jsm.streams.info(stream)).state.last_seq;
    if (end <= this.applied) return 0;
    this.progress.setTotal(this.progress.count + (end - this.applied));
    let inFlight = 0;
    let slotFreed: (() => void) | undefined;
    let failure: unknown;
    const settle = (): void => {
      inFlight--;
      slotFreed?.();
      slotFreed = undefined;
    };
    let read = 0;
    for await (const m of readStream(this.client.js, this.client.jsm, stream, {
      fromSeq: this.applied + 1,
      toSeq: end,
    })) {
      read++;
      let event: UserEvent;
      try {
        event = chatEventCodec.decode(m.data) as UserEvent;
      } catch (err) {
        if (!(err instanceof EventSchemaError)) throw err;
        this.undecodable++;
        process.stderr.write(`rebuild: ${stream} sequence ${m.seq} undecodable (${err.code}); skipped\n`);
        this.progress.tick();
        continue;
      }
      inFlight++;
      void applyToUsersModel(this.target, event, m.seq).then(
        () => {
          this.progress.tick();
          settle();
        },
        (err: unknown) => {
          failure ??= err;
          settle();
        },
      );
      while (inFlight >= IN_FLIGHT) await new Promise<void>((r) => (slotFreed = r));
      if (failure) break;
    }
    while (inFlight > 0) await new Promise<void>((r) => (slotFreed = r));
    if (failure) throw failure;
    this.applied = end;
    return read;
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
  const replay = new UsersReplay(client, new DeviceStore(cql, next), progress);
  // Catch up until a pass finds little new: the stream keeps growing while we read.
  while ((await replay.pass()) > 100);

  await versions.switchTo('users', next, by, new Date());
  const replaySeconds = (Date.now() - started) / 1000;
  process.stderr.write(
    `rebuild users: caught up at sequence ${replay.applied}: replayed ${progress.count} events in ${replaySeconds.toFixed(2)}s (${Math.round(progress.count / replaySeconds)} events/s); readers switched to v${next}\n`,
  );
  // Readers re-read the version within refreshMs; until then the live projector may still write the old
  // tables. Wait for every reader to have switched, then apply what arrived meanwhile (idempotent).
  await new Promise((r) => setTimeout(r, versions.refreshMs * 2 + 1000));
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
    options: { by: { type: 'string', default: 'chatctl' } },
    allowPositionals: true,
    strict: true,
  });
  const [projection] = positionals;
  if (projection !== 'users')
    throw new UsageError(
      `rebuild: only "users" can be rebuilt into a new version (got ${projection ?? 'nothing'})`,
    );
  const { cassandra } = loadConfig({ cassandra: CassandraConfig });
  const cql = createCassandraClient(cassandra, { applicationName: 'chatctl-rebuild' });
  try {
    await withNats('rebuild', (client) => rebuildUsers(client, cql, values.by));
  } finally {
    await cql.shutdown();
  }
}
