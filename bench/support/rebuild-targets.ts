import type { CqlClient } from '#libs/cassandra';
import type { NatsClient } from '#libs/nats';
import { conversationsTables, ReadModelVersions, usersTables } from '#libs/read-models';
import { progress } from './report.js';
import { seedEvents, seedUserEvents } from './seed-events.js';

/** Row counts of a read model, by table. */
export type RowCounts = Record<string, number>;

/** A read model `chatctl rebuild <projection>` replays from zero, with the data the bench seeds for it. */
export interface RebuildTarget {
  readonly projection: string;
  /** Publishes `events` events of the projection's stream; returns the rows the rebuilt model must hold. */
  seed(client: NatsClient, events: number): Promise<RowCounts>;
  /** Rows in the tables readers use after the rebuild, with the same keys as seed's answer. */
  countRows(cql: CqlClient): Promise<RowCounts>;
}

/** Counts a table's rows by paging through it (COUNT(*) over a million rows times out on one node). */
export async function countRows(cql: CqlClient, table: string, column: string): Promise<number> {
  let n = 0;
  const rs = await cql.execute(`SELECT ${column} FROM ${table}`, [], { prepare: true, fetchSize: 5000 });
  for await (const _row of rs) n++;
  return n;
}

const usersTarget: RebuildTarget = {
  projection: 'users',
  async seed(client, events) {
    // One UserRegistered per user, the rest DeviceAdded round-robin: every event makes exactly one row.
    const users = Math.max(1, Math.min(10_000, Math.floor(events / 10)));
    await seedUserEvents(client, {
      total: events,
      users,
      onProgress: (n) => progress(`  seeded ${n}/${events} USERS events`),
    });
    return { users, devices: events - users };
  },
  async countRows(cql) {
    const t = usersTables(await new ReadModelVersions(cql).read('users'));
    return {
      users: await countRows(cql, t.users, 'user_id'),
      devices: await countRows(cql, t.devices, 'user_id'),
    };
  },
};

const conversationsTarget: RebuildTarget = {
  projection: 'conversations',
  async seed(client, events) {
    // One ConversationCreated per 1:1 conversation, the rest MessageSent round-robin.
    const conversations = Math.max(1, Math.min(1000, Math.floor(events / 10)));
    await seedEvents(client, {
      total: events,
      conversations,
      onProgress: (n) => progress(`  seeded ${n}/${events} conversation events`),
    });
    return { conversations, messages: events - conversations };
  },
  async countRows(cql) {
    const t = conversationsTables(await new ReadModelVersions(cql).read('conversations'));
    return {
      conversations: await countRows(cql, t.conversations, 'conversation_id'),
      messages: await countRows(cql, t.messagesByConversation, 'conversation_id'),
    };
  },
};

/**
 * Every projection the rebuild workload replays, in order. A new `chatctl rebuild <projection>` is one
 * more entry here (its seed and row count beside usersTarget).
 */
export const REBUILD_TARGETS: readonly RebuildTarget[] = [usersTarget, conversationsTarget];
