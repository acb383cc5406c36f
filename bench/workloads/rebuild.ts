import { createCassandraClient, migrate } from '#libs/cassandra';
import { NatsClient, provisionStreams, streamTopology } from '#libs/nats';
import { cleanupTestEnv } from '../../test/support/cleanup.js';
import { createTestEnv } from '../../test/support/test-env.js';
import { REBUILD_TARGETS, type RowCounts } from '../support/rebuild-targets.js';
import { progress } from '../support/report.js';
import { round } from '../support/stats.js';
import { timedChatctl } from '../support/timed-chatctl.js';

export interface RebuildSettings {
  /** Events seeded per projection, unless `eventsOf` names another number for it. */
  readonly events: number;
  readonly eventsOf?: Readonly<Record<string, number>>;
}

const rate = (events: number, seconds: number): number => Math.round(events / seconds);

/**
 * Workload 6: seeds events into an isolated namespace, then times `chatctl events` dumping them all
 * and `chatctl rebuild <projection>` replaying each projection's stream into new, empty read-model
 * tables (REBUILD_TARGETS). Correct when the dump prints every event and each rebuilt model holds
 * exactly the rows the seeded events make.
 */
export async function rebuild(o: RebuildSettings): Promise<{
  rows: Array<Record<string, string | number>>;
  ok: boolean;
}> {
  const env = createTestEnv();
  const client = await NatsClient.connect(env.nats, 'rebuild-bench');
  const cql = createCassandraClient(env.cassandra, { applicationName: 'rebuild-bench', timeoutMs: 60_000 });
  const rows: Array<Record<string, string | number>> = [];
  let ok = true;
  try {
    await provisionStreams(client.jsm, streamTopology(client.topology), 1);
    await migrate(env.cassandra);
    const expected = new Map<string, RowCounts>();
    const eventsOf = (projection: string): number => o.eventsOf?.[projection] ?? o.events;
    for (const target of REBUILD_TARGETS) {
      const events = eventsOf(target.projection);
      progress(`  seeding ${events} events for ${target.projection}...`);
      const t0 = performance.now();
      expected.set(target.projection, await target.seed(client, events));
      const s = (performance.now() - t0) / 1000;
      rows.push({
        step: `seed ${target.projection} (async publish)`,
        events,
        seconds: round(s, 2),
        eventsPerSecond: rate(events, s),
        check: '',
      });
    }
    const total = REBUILD_TARGETS.reduce((n, t) => n + eventsOf(t.projection), 0);
    progress(`  chatctl events (all ${total})...`);
    const dump = await timedChatctl(env, ['events']);
    const dumpOk = dump.lines === total;
    ok &&= dumpOk;
    rows.push({
      step: 'chatctl events (JSON lines, process start included)',
      events: dump.lines,
      seconds: round(dump.seconds, 2),
      eventsPerSecond: rate(dump.lines, dump.seconds),
      check: dumpOk ? `all ${total} printed` : `FAIL: ${dump.lines} of ${total}`,
    });

    for (const target of REBUILD_TARGETS) {
      progress(`  chatctl rebuild ${target.projection}...`);
      const r = await timedChatctl(env, ['rebuild', target.projection, '--by', 'bench']);
      const replay = /replayed (\d+) events in ([\d.]+)s/.exec(r.stderr);
      const replayed = Number(replay?.[1] ?? NaN);
      const want = expected.get(target.projection)!;
      const got = await target.countRows(cql);
      const mismatched = Object.keys(want).filter((t) => got[t] !== want[t]);
      const targetOk = replayed === eventsOf(target.projection) && mismatched.length === 0;
      ok &&= targetOk;
      const counts = Object.keys(want)
        .map((t) => `${t} ${got[t]}/${want[t]}`)
        .join(', ');
      rows.push({
        step: `chatctl rebuild ${target.projection} (process, switch grace included)`,
        events: replayed,
        seconds: round(r.seconds, 2),
        eventsPerSecond: rate(replayed, r.seconds),
        check: `${targetOk ? '' : 'FAIL: '}rows ${counts}`,
      });
      // The conversations rebuild's first pass alone: the replay figure includes the hand-over's wait
      // for readers to follow the version (7 s), which no replay speed shortens.
      const first = /first pass (\d+) events in ([\d.]+)s/.exec(r.stderr);
      if (first)
        rows.push({
          step: '  of which the first pass (bulk)',
          events: Number(first[1]),
          seconds: Number(first[2]),
          eventsPerSecond: rate(Number(first[1]), Number(first[2])),
          check: 'as chatctl reports it',
        });
      if (replay)
        rows.push({
          step: '  of which the replay into empty tables',
          events: replayed,
          seconds: Number(replay[2]),
          eventsPerSecond: rate(replayed, Number(replay[2])),
          check: 'as chatctl reports it',
        });
    }
    return { rows, ok };
  } finally {
    await cql.shutdown();
    await client.close();
    await cleanupTestEnv(env);
  }
}
