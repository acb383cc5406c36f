import assert from 'node:assert/strict';
import type { Client } from 'cassandra-driver';
import { conversationsTables, parseEntryId, type ConversationsTables } from '#libs/read-models';

/** Whether a device's inbox row for an entry (by its entry id) is written: the projector's side of delivery. */
export async function inboxHolds(
  cql: Client,
  userId: string,
  deviceId: string,
  entryId: string,
): Promise<boolean> {
  const pos = parseEntryId(entryId);
  if (!pos) throw new Error(`not an entry id: ${entryId}`);
  const rs = await cql.execute(
    'SELECT stream_seq FROM inbox_by_device WHERE user_id = ? AND device_id = ? AND partition = ? AND stream_seq = ?',
    [userId, deviceId, pos.partition, pos.seq],
    { prepare: true },
  );
  return rs.rowLength > 0;
}

/**
 * Whether the projection recorded a sender device's client message id (the durable de-duplication
 * record, tables of read-model version 1 as a fresh test stack has them).
 */
export async function clientMessageRecorded(
  cql: Client,
  userId: string,
  deviceId: string,
  clientMessageId: string,
): Promise<boolean> {
  const rs = await cql.execute(
    'SELECT message_id FROM client_messages WHERE sender_user_id = ? AND sender_device_id = ? AND client_message_id = ?',
    [userId, deviceId, clientMessageId],
    { prepare: true },
  );
  return rs.rowLength > 0;
}

/** A row as comparable text: columns in name order, sets sorted, times and bigints as strings. */
function rowText(row: Record<string, unknown>): string {
  const norm = (v: unknown): unknown => {
    if (v === null || v === undefined) return null;
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map(norm).map(String).sort();
    if (typeof v === 'object') return String(v); // Long and other driver types
    return v;
  };
  return JSON.stringify(
    Object.keys(row)
      .sort()
      .map((k) => [k, norm(row[k])]),
  );
}

/** Every row of a table as comparable text, sorted: two read models compared row for row. */
export async function tableRows(cql: Client, table: string): Promise<string[]> {
  const out: string[] = [];
  let pageState: string | undefined;
  do {
    const rs = await cql.execute(`SELECT * FROM ${table}`, [], { fetchSize: 1000, pageState });
    for (const r of rs.rows) out.push(rowText(Object.fromEntries(r.keys().map((k) => [k, r.get(k)]))));
    pageState = rs.pageState;
  } while (pageState);
  return out.sort();
}

/**
 * After `chatctl rebuild conversations`: each named table of read-model version 2 (the rebuilt one)
 * holds exactly the rows of version 1 (the live projector's, which must have some).
 */
export async function assertRebuiltEqualsLive(
  cql: Client,
  keys: ReadonlyArray<keyof ConversationsTables>,
): Promise<void> {
  const v1 = conversationsTables(1);
  const v2 = conversationsTables(2);
  for (const key of keys) {
    const [live, rebuilt] = await Promise.all([tableRows(cql, v1[key]), tableRows(cql, v2[key])]);
    assert.ok(live.length > 0, `${v1[key]} has rows`);
    assert.deepEqual(rebuilt, live, `${v2[key]} equals ${v1[key]}`);
  }
}
