import { parseArgs } from 'node:util';
import type { JsMsg } from '@nats-io/jetstream';
import { EVENT_HEADERS, EventSchemaError, partitionOf, subjectRoot, type ChatEvent } from '#libs/events';
import {
  partitionStreamName,
  readStream,
  streamTimeMs,
  streamTopology,
  userStreamName,
  type NatsClient,
  type StreamRange,
} from '#libs/nats';
import { parseSeq, parseTime, requireToken } from '../cli/args.js';
import { withNats } from '../cli/nats-context.js';
import { vaultOver, withCassandra } from '../cli/cassandra-context.js';
import { JsonLinesWriter, Progress } from '../cli/output.js';
import { UsageError } from '../cli/usage-error.js';
import { involvesUser } from './event-filter.js';

export const eventsUsage = `chatctl events [filters] [--follow]
  --conversation <id>   one conversation (reads only its partition stream and subjects)
  --user <id>           events the user takes part in (account, devices, messages, receipts)
  --type <Type>         event type; repeat for several
  --since <time>        from this stream time (ISO-8601, or 15m / 2h / 7d ago)
  --until <time>        up to this stream time
  --from-seq <n>        from this stream sequence (with one --stream)
  --to-seq <n>          up to this stream sequence
  --stream <name>       one stream (CHAT_0, USERS, or its full name); default every event stream
  --follow              keep printing live events after the stored ones
Prints one JSON object per line on stdout: {stream, seq, subject, time, event}; progress on stderr.`;

/** One stream to read, with the subjects that narrow it down. */
interface Source {
  readonly stream: string;
  readonly filterSubject?: string;
}

function resolveStream(client: NatsClient, name: string): string {
  const names = streamTopology(client.topology).map((s) => s.name);
  if (names.includes(name)) return name;
  const prefixed = client.topology.namespace ? `${client.topology.namespace.toUpperCase()}_${name}` : name;
  if (names.includes(prefixed)) return prefixed;
  throw new UsageError(`--stream: no stream ${name} (streams: ${names.join(', ')})`);
}

function sources(client: NatsClient, o: { conversation?: string; user?: string; stream?: string }): Source[] {
  const space = client.topology;
  const root = subjectRoot(space);
  if (o.conversation) {
    const p = partitionOf(o.conversation, space.partitions);
    return [
      { stream: partitionStreamName(space, p), filterSubject: `${root}.conv.${p}.${o.conversation}.>` },
    ];
  }
  const all: Source[] = [
    ...Array.from({ length: space.partitions }, (_, p) => ({
      stream: partitionStreamName(space, p),
    })),
    { stream: userStreamName(space), ...(o.user ? { filterSubject: `${root}.user.${o.user}` } : {}) },
  ];
  if (!o.stream) return all;
  const only = resolveStream(client, o.stream);
  return all
    .filter((s) => s.stream === only)
    .concat(all.some((s) => s.stream === only) ? [] : [{ stream: only }]);
}

export async function runEvents(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      conversation: { type: 'string' },
      user: { type: 'string' },
      type: { type: 'string', multiple: true },
      since: { type: 'string' },
      until: { type: 'string' },
      'from-seq': { type: 'string' },
      'to-seq': { type: 'string' },
      stream: { type: 'string' },
      follow: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const conversation = requireToken('conversation', values.conversation);
  const user = requireToken('user', values.user);
  const types = new Set(values.type ?? []);
  const range: StreamRange = {
    since: parseTime('since', values.since),
    until: parseTime('until', values.until),
    fromSeq: parseSeq('from-seq', values['from-seq']),
    toSeq: parseSeq('to-seq', values['to-seq']),
    follow: values.follow,
  };

  await withCassandra('events', (cql) =>
    withNats('events', async (client) => {
      const vault = vaultOver(cql);
      const list = sources(client, { conversation, user, stream: values.stream });
      if ((range.fromSeq || range.toSeq) && list.length > 1)
        throw new UsageError('--from-seq / --to-seq need one stream: add --stream or --conversation');
      const out = new JsonLinesWriter();
      const progress = new Progress('events');
      let undecodable = 0;

      const emit = async (stream: string, m: JsMsg): Promise<void> => {
        progress.tick();
        if (types.size > 0 && !types.has(m.headers?.get(EVENT_HEADERS.type) ?? '')) return;
        let event: ChatEvent;
        try {
          event = await vault.decode(m.data);
        } catch (err) {
          if (!(err instanceof EventSchemaError)) throw err;
          undecodable++;
          process.stderr.write(
            `events: ${stream} sequence ${m.seq} (${m.subject}) undecodable: ${err.code}: ${err.message}\n`,
          );
          return;
        }
        if (types.size > 0 && !types.has(event.type)) return;
        if (user && !involvesUser(event, user)) return;
        return out.write({
          stream,
          seq: m.seq,
          subject: m.subject,
          time: new Date(streamTimeMs(m)).toISOString(),
          event,
        });
      };

      const readOne = async (source: Source, live: boolean): Promise<void> => {
        const messages = readStream(client.js, client.jsm, source.stream, {
          ...range,
          filterSubject: source.filterSubject,
          follow: live,
        });
        for await (const m of messages) {
          await emit(source.stream, m);
          if (live) await out.flush(); // a live event is shown when it happens, not when a chunk fills
        }
      };

      if (range.follow) {
        // Live: every stream at once, each in its own order; SIGINT ends it.
        const stop = new Promise<void>((r) => process.once('SIGINT', () => r()));
        await Promise.race([Promise.all(list.map((s) => readOne(s, true))), stop]);
      } else {
        for (const source of list) await readOne(source, false);
      }
      await out.flush();
      progress.done(undecodable > 0 ? `, ${undecodable} undecodable` : '');
    }),
  );
}
