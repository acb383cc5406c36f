import { parseArgs } from 'node:util';
import { createCassandraClient, cqlTypes, type CqlClient } from '#libs/cassandra';
import { CassandraConfig, loadConfig } from '#libs/config';
import { partitionOf, subjectRoot, type ChatEvent, type PersonalDataVault } from '#libs/events';
import { vaultOver } from '../cli/cassandra-context.js';
import { partitionStreamName, readStream, streamTimeMs, userStreamName, type NatsClient } from '#libs/nats';
import {
  conversationsTables,
  ReadModelVersions,
  TIMELINE_BUCKET_SIZE,
  usersTables,
  type ConversationsTables,
} from '#libs/read-models';
import { requireToken } from '../cli/args.js';
import { withNats } from '../cli/nats-context.js';
import { UsageError } from '../cli/usage-error.js';
import { involvesUser } from './event-filter.js';

export const exportUsage = `chatctl export --conversation <id> | --user <id>
  one JSON document on stdout for a compliance request: every event of the conversation (or that the
  user takes part in) and the read-model rows that hold its data`;

type Plain = null | string | number | boolean | Plain[] | { [k: string]: Plain };

/** Driver values (Long, Set, Date, ...) as JSON. */
function plain(v: unknown): Plain {
  if (v === null || v === undefined) return null;
  if (v instanceof cqlTypes.Long) return v.toNumber();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Set || Array.isArray(v)) return [...(v as Iterable<unknown>)].map(plain);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v.toString();
  return String(v);
}

async function rows(cql: CqlClient, query: string, params: unknown[]): Promise<Record<string, Plain>[]> {
  const out: Record<string, Plain>[] = [];
  const rs = await cql.execute(query, params, { prepare: true, fetchSize: 1000 });
  for await (const row of rs) out.push(Object.fromEntries(row.keys().map((k) => [k, plain(row.get(k))])));
  return out;
}

interface ExportedEvent {
  stream: string;
  seq: number;
  subject: string;
  time: string;
  event: ChatEvent | { undecodable: string };
}

async function events(
  client: NatsClient,
  vault: PersonalDataVault<ChatEvent>,
  stream: string,
  filterSubject: string | undefined,
  keep: (e: ChatEvent) => boolean,
): Promise<ExportedEvent[]> {
  const out: ExportedEvent[] = [];
  for await (const m of readStream(client.js, client.jsm, stream, filterSubject ? { filterSubject } : {})) {
    const base = { stream, seq: m.seq, subject: m.subject, time: new Date(streamTimeMs(m)).toISOString() };
    try {
      const event = await vault.decode(m.data);
      if (keep(event)) out.push({ ...base, event });
    } catch (err) {
      // A compliance export must not hide what the log holds on these subjects.
      if (filterSubject)
        out.push({ ...base, event: { undecodable: err instanceof Error ? err.message : String(err) } });
    }
  }
  return out;
}

/** The conversations model may have been rebuilt into versioned tables: those readers use. */
async function conversationTables(cql: CqlClient): Promise<ConversationsTables> {
  return conversationsTables(await new ReadModelVersions(cql).read('conversations'));
}

async function timeline(
  cql: CqlClient,
  t: ConversationsTables,
  conversationId: string,
): Promise<Record<string, Plain>[]> {
  const conv = await rows(cql, `SELECT last_message_seq FROM ${t.conversations} WHERE conversation_id = ?`, [
    conversationId,
  ]);
  const last = Number(conv[0]?.last_message_seq ?? 0);
  const out: Record<string, Plain>[] = [];
  for (let b = 0; b <= Math.floor(last / TIMELINE_BUCKET_SIZE); b++) {
    const page = await rows(
      cql,
      `SELECT * FROM ${t.messagesByConversation} WHERE conversation_id = ? AND bucket = ?`,
      [conversationId, b],
    );
    out.push(...page.reverse());
  }
  return out;
}

async function exportConversation(client: NatsClient, cql: CqlClient, id: string): Promise<unknown> {
  const space = client.topology;
  const p = partitionOf(id, space.partitions);
  const t = await conversationTables(cql);
  const messages = await timeline(cql, t, id);
  const receipts = [];
  for (const m of messages) {
    receipts.push(
      ...(await rows(cql, `SELECT * FROM ${t.messageStatus} WHERE conversation_id = ? AND message_id = ?`, [
        id,
        cqlTypes.Long.fromString(String(m.message_id)),
      ])),
    );
  }
  return {
    events: await events(
      client,
      vaultOver(cql),
      partitionStreamName(space, p),
      `${subjectRoot(space)}.conv.${p}.${id}.>`,
      () => true,
    ),
    readModels: {
      conversations: await rows(cql, `SELECT * FROM ${t.conversations} WHERE conversation_id = ?`, [id]),
      messages_by_conversation: messages,
      message_status: receipts,
    },
  };
}

async function exportUser(client: NatsClient, cql: CqlClient, id: string): Promise<unknown> {
  const space = client.topology;
  const all: ExportedEvent[] = await events(
    client,
    vaultOver(cql),
    userStreamName(space),
    `${subjectRoot(space)}.user.${id}`,
    () => true,
  );
  for (let p = 0; p < space.partitions; p++) {
    all.push(
      ...(await events(client, vaultOver(cql), partitionStreamName(space, p), undefined, (e) =>
        involvesUser(e, id),
      )),
    );
  }
  const c = await conversationTables(cql);
  const conversations = await rows(cql, `SELECT * FROM ${c.conversationsByUser} WHERE user_id = ?`, [id]);
  const sent: Record<string, Plain>[] = [];
  for (const row of conversations) {
    sent.push(
      ...(await timeline(cql, c, String(row.conversation_id))).filter((m) => m.sender_user_id === id),
    );
  }
  // The users model may have been rebuilt into versioned tables: read the version readers use.
  const t = usersTables(await new ReadModelVersions(cql).read('users'));
  return {
    events: all,
    readModels: {
      users: await rows(cql, `SELECT * FROM ${t.users} WHERE user_id = ?`, [id]),
      devices_by_user: await rows(cql, `SELECT * FROM ${t.devices} WHERE user_id = ?`, [id]),
      conversations_by_user: conversations,
      messages_sent: sent,
    },
  };
}

export async function runExport(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { conversation: { type: 'string' }, user: { type: 'string' } },
    strict: true,
  });
  const conversation = requireToken('conversation', values.conversation);
  const user = requireToken('user', values.user);
  if (!conversation === !user)
    throw new UsageError('export needs exactly one of --conversation <id> or --user <id>');
  const { cassandra } = loadConfig({ cassandra: CassandraConfig });
  const cql = createCassandraClient(cassandra, { applicationName: 'chatctl-export' });
  try {
    const body = await withNats('export', (client) =>
      conversation ? exportConversation(client, cql, conversation) : exportUser(client, cql, user!),
    );
    const doc = {
      subject: conversation ? { conversationId: conversation } : { userId: user },
      exportedAt: new Date().toISOString(),
      ...(body as object),
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } finally {
    await cql.shutdown();
  }
}
