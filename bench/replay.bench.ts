/**
 * Replay benchmark: seeds events into an isolated namespace on the local servers, then measures the
 * compiled `chatctl events` dumping them all and `chatctl rebuild users` replaying as many USERS events
 * into a new read-model version. Run when the machine is quiet:
 *
 *   npm run build && node dist/bench/replay.bench.js [--events 1000000] [--rebuild-events 1000000]
 *
 * Prints a table and writes bench/results/replay-<time>.json. It removes its streams and keyspace after.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { migrate } from '#libs/cassandra';
import { NatsClient, provisionStreams, streamTopology } from '#libs/nats';
import { cleanupTestEnv } from '../test/support/cleanup.js';
import { createTestEnv, type TestEnv } from '../test/support/test-env.js';
import { seedEvents, seedUserEvents } from './seed-events.js';

const CHATCTL = fileURLToPath(new URL('../apps/chatctl/src/main.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));

interface Row {
  readonly step: string;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly note: string;
}

/** Runs chatctl with stdout counted and thrown away, as `chatctl events > file` would. */
async function timeChatctl(
  env: TestEnv,
  args: string[],
): Promise<{ seconds: number; lines: number; stderr: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [CHATCTL, ...args], {
    env: { PATH: process.env.PATH, ...env.vars },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lines = 0;
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`chatctl ${args.join(' ')} exited ${code}:\n${stderr}`);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, lines, stderr };
}

function row(step: string, events: number, seconds: number, note = ''): Row {
  return {
    step,
    events,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round(events / seconds),
    note,
  };
}

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    conversations: { type: 'string', default: '1000' },
    'rebuild-events': { type: 'string', default: '1000000' },
    users: { type: 'string', default: '10000' },
  },
});
const rebuildTotal = Number(values['rebuild-events']);
const total = Number(values.events);
const conversations = Number(values.conversations);
const env = createTestEnv();
const rows: Row[] = [];
const client = await NatsClient.connect(env.nats, 'replay-bench');
try {
  await provisionStreams(client.jsm, streamTopology(client.topology), 1);
  process.stderr.write(`bench: seeding ${total} events into namespace ${env.id}\n`);
  const seeded = await seedEvents(client, {
    total,
    conversations,
    onProgress: (n) => process.stderr.write(`bench: seeded ${n}\n`),
  });
  rows.push(row('seed (async publish, 1024 in flight)', total, seeded.ms / 1000));

  const dump = await timeChatctl(env, ['events']);
  if (dump.lines !== total) throw new Error(`chatctl events printed ${dump.lines} lines, expected ${total}`);
  rows.push(row('chatctl events (all, JSON lines)', dump.lines, dump.seconds, 'includes process start'));

  const one = await timeChatctl(env, ['events', '--conversation', 'bench-7']);
  rows.push(
    row('chatctl events --conversation', one.lines, one.seconds, 'one conversation of ' + conversations),
  );

  if (rebuildTotal > 0) {
    await migrate(env.cassandra);
    process.stderr.write(`bench: seeding ${rebuildTotal} USERS events\n`);
    const users = await seedUserEvents(client, {
      total: rebuildTotal,
      users: Number(values.users),
      onProgress: (n) => process.stderr.write(`bench: seeded ${n} USERS events\n`),
    });
    rows.push(row('seed USERS (async publish)', rebuildTotal, users.ms / 1000));
    const rebuild = await timeChatctl(env, ['rebuild', 'users', '--by', 'bench']);
    const done = /replayed (\d+) events in ([\d.]+)s/.exec(rebuild.stderr);
    if (!done || Number(done[1]) !== rebuildTotal)
      throw new Error(`rebuild did not replay everything:\n${rebuild.stderr}`);
    rows.push(
      row(
        'chatctl rebuild users (to v2, switch)',
        rebuildTotal,
        rebuild.seconds,
        'includes process start and 3 s switch grace',
      ),
    );
    rows.push(
      row('  of which the replay before the switch', rebuildTotal, Number(done[2]), 'as chatctl reports it'),
    );
  }
} finally {
  await client.close();
  await cleanupTestEnv(env);
}

console.table(rows);
mkdirSync(RESULTS, { recursive: true });
const file = `${RESULTS}replay-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(
  file,
  JSON.stringify({ at: new Date().toISOString(), total, conversations, rebuildTotal, rows }, null, 2),
);
process.stderr.write(`bench: results written to ${file}\n`);
