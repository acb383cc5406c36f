import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { pino } from 'pino';
import { SCHEMA_CHANGE_TIMEOUT_MS, type CqlClient } from '#libs/cassandra';
import type { RetentionConfig } from '#libs/config';
import { DURABLES, partitionStreamName, type NatsClient } from '#libs/nats';
import { MetricsService } from '#libs/platform';
import {
  conversationProjectionAt,
  DirectConversationFold,
  MediaLinksUntouched,
  NoFanOut,
} from '#libs/projections';
import {
  ConversationStore,
  conversationsTables,
  conversationsTablesDdl,
  ReadModelVersions,
  ReceiptStore,
  TimelineStore,
} from '#libs/read-models';
import { vaultOver } from '../../cli/cassandra-context.js';
import { Progress } from '../../cli/output.js';
import { BulkConversationsApply } from './bulk-conversations.js';
import { BulkWriter } from './bulk-writer.js';
import { ConversationsReplay } from './conversations-replay.js';

/** A pass that finds no more new events than this is close enough to switch readers. */
const CAUGHT_UP = 100;
const MAX_PASSES = 20;
/** How long the final pass waits for the live projector to have handled what it covers. */
const LIVE_WAIT_MS = 60_000;

/**
 * `chatctl rebuild conversations`: builds v(n+1) of the conversations read model from the CHAT_<p>
 * streams beside v(n), which keeps serving, then switches readers and the live projector over.
 */
export async function rebuildConversations(
  client: NatsClient,
  cql: CqlClient,
  retention: Readonly<RetentionConfig>,
  by: string,
  options: { perEvent?: boolean } = {},
): Promise<void> {
  const versions = new ReadModelVersions(cql);
  const current = await versions.read('conversations');
  const next = current + 1;
  const tables = Object.values(conversationsTables(next));
  for (const ddl of conversationsTablesDdl(next))
    await cql.execute(ddl, [], { readTimeout: SCHEMA_CHANGE_TIMEOUT_MS });
  // A rebuild that died earlier may have left rows: start from empty tables.
  for (const table of tables)
    await cql.execute(`TRUNCATE ${table}`, [], { readTimeout: SCHEMA_CHANGE_TIMEOUT_MS });
  const window =
    retention.RETENTION_MODE === 'transient'
      ? ` (transient retention: the log, and so v${next}, holds the last ${retention.RETENTION_WINDOW_SECONDS}s only)`
      : '';
  process.stderr.write(
    `rebuild conversations: v${current} serves; building v${next} (${tables.join(', ')})${window}\n`,
  );

  const vault = vaultOver(cql);
  const projection = conversationProjectionAt(next, {
    nats: client,
    cql,
    fanOut: new NoFanOut(),
    mediaLinks: new MediaLinksUntouched(),
    vault,
    retention,
    // Orphans and the like are reported on stderr; stdout stays free.
    logger: pino({ level: 'warn', base: { service: 'chatctl-rebuild' } }, pino.destination(2)),
    metrics: new MetricsService(),
  });
  const progress = new Progress('rebuild conversations');
  const started = Date.now();
  // The first pass writes into empty tables: folded in memory and written in bulk where that is the
  // same as the projection's rows (direct conversations); the passes after it go event by event.
  const writer = new BulkWriter(cql);
  const bulk = options.perEvent
    ? undefined
    : new BulkConversationsApply(
        client.topology,
        new DirectConversationFold(
          new ConversationStore(cql, next),
          new TimelineStore(cql, next),
          new ReceiptStore(cql, next),
          writer,
          retention,
        ),
        writer,
        projection,
        vault,
      );
  const replay = new ConversationsReplay(client, projection, progress, bulk);
  // Catch up until a pass finds little new: the streams keep growing while we read.
  let read = await replay.pass();
  const firstSeconds = (Date.now() - started) / 1000;
  const how = bulk
    ? `; bulk: folded ${bulk.counts.folded} conversations (${writer.statements} rows in ${writer.batches} writes), ${bulk.counts.perEvent} applied event by event`
    : '';
  process.stderr.write(
    `rebuild conversations: first pass ${read} events in ${firstSeconds.toFixed(2)}s (${Math.round(read / firstSeconds)} events/s)${how}\n`,
  );
  for (let pass = 2; read > CAUGHT_UP && pass <= MAX_PASSES; pass++) read = await replay.pass();

  // Hand over: the live projector also writes v<next> (delivering nothing there) from its next refresh
  // on. Once it has, and has handled everything up to here, replay the rest into v<next>: what the
  // projector applied there already is skipped by applied_sequence. Then v<next> is complete and kept
  // so, and readers can switch to it.
  await versions.alsoWrite('conversations', next);
  process.stderr.write(`rebuild conversations: the live projector now also writes v${next}\n`);
  await sleep(versions.followMs);
  const upTo = await replay.ends();
  try {
    await liveProjectorPast(client, upTo);
  } catch (err) {
    await versions.alsoWrite('conversations', undefined);
    throw err;
  }
  await replay.pass(upTo);

  // v<current> stays written until every reader has followed the switch, so none misses a message.
  await versions.switchTo('conversations', next, by, new Date(), current);
  const replaySeconds = (Date.now() - started) / 1000;
  process.stderr.write(
    `rebuild conversations: caught up at ${positions(replay.applied)}: replayed ${progress.count} events in ${replaySeconds.toFixed(2)}s (${Math.round(progress.count / replaySeconds)} events/s); readers switched to v${next}\n`,
  );
  await sleep(versions.followMs);
  await versions.alsoWrite('conversations', undefined);
  // The live projector re-reads the row within followMs: until then it may still write v<current>, and
  // an operator who drops those tables at "done" would fail its writes.
  process.stderr.write(
    `rebuild conversations: waiting ${versions.followMs / 1000}s for the live projector to stop writing v${current}\n`,
  );
  await sleep(versions.followMs);
  progress.done(replay.undecodable > 0 ? `, ${replay.undecodable} undecodable skipped` : '');
  const old = Object.values(conversationsTables(current));
  process.stderr.write(
    `rebuild conversations: done; v${current} tables (${old.join(', ')}) are no longer read or written: drop them once satisfied\n`,
  );
}

const positions = (seqs: readonly number[]): string =>
  seqs.map((s, p) => `CHAT_${p} sequence ${s}`).join(', ');

/**
 * Waits until the live projector's durable consumer has handled every event up to `upTo` on each
 * partition (its ack floor): those are delivered by the version readers use, so the final pass may
 * apply them to the new one, whose applied_sequence would otherwise make the projector skip (and never
 * deliver) them after the switch. No consumer: no projector ever ran, nothing was delivered to skip.
 */
async function liveProjectorPast(client: NatsClient, upTo: readonly number[]): Promise<void> {
  const deadline = Date.now() + LIVE_WAIT_MS;
  for (const [p, seq] of upTo.entries()) {
    const stream = partitionStreamName(client.topology, p);
    for (;;) {
      let floor: number;
      try {
        floor = (await client.jsm.consumers.info(stream, DURABLES.projectorConversations)).ack_floor
          .stream_seq;
      } catch (err) {
        if (isNotFound(err)) break;
        throw err;
      }
      if (floor >= seq) break;
      if (Date.now() > deadline)
        throw new Error(
          `the live projector is at ${stream} sequence ${floor}, not ${seq}, after ${LIVE_WAIT_MS / 1000}s: readers stay on the current version; run the rebuild again once it has caught up`,
        );
      await sleep(200);
    }
  }
}

const isNotFound = (err: unknown): boolean =>
  err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound;
