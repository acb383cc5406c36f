import { EventSchemaError, parseConversationSubject } from '#libs/events';
import { partitionStreamName, readStream, type NatsClient } from '#libs/nats';
import type { ConversationProjection } from '#libs/projections';
import type { Progress } from '../../cli/output.js';
import type { BulkConversationsApply } from './bulk-conversations.js';
import { KeyedLanes } from './keyed-lanes.js';

/** Events queued or being applied at once, across conversations. */
const IN_FLIGHT = 512;

/**
 * Replays every CHAT_<p> partition into a conversation projection pinned to the version being built:
 * conversations in parallel, each one's events in stream order (its message seq and applied_sequence
 * depend on it, and so do receipts, which name messages applied before them).
 */
export class ConversationsReplay {
  /** Per partition, the last stream sequence replayed. */
  readonly applied: number[];
  undecodable = 0;

  constructor(
    private readonly client: NatsClient,
    private readonly projection: ConversationProjection,
    private readonly progress: Progress,
    /** Applies the first pass, into empty tables, in bulk; later passes go through the projection. */
    private bulk?: BulkConversationsApply,
  ) {
    this.applied = Array.from({ length: client.topology.partitions }, () => 0);
  }

  /** Each partition's last sequence now. */
  async ends(): Promise<number[]> {
    return Promise.all(
      this.applied.map(
        async (_, p) =>
          (await this.client.jsm.streams.info(partitionStreamName(this.client.topology, p))).state.last_seq,
      ),
    );
  }

  /** Replays everything after `applied` up to `upTo` (default: each stream's end now); returns how many events it read. */
  async pass(upTo?: number[]): Promise<number> {
    const ends = upTo ?? (await this.ends());
    const todo = ends.reduce((n, end, p) => n + Math.max(0, end - this.applied[p]!), 0);
    if (todo === 0) return 0;
    this.progress.setTotal(this.progress.count + todo);
    const lanes = new KeyedLanes(IN_FLIGHT);
    const bulk = this.bulk;
    this.bulk = undefined;
    const read = await Promise.all(ends.map((end, p) => this.partition(p, end, lanes, bulk)));
    await lanes.drain();
    await bulk?.finish();
    ends.forEach((end, p) => (this.applied[p] = Math.max(this.applied[p]!, end)));
    return read.reduce((a, b) => a + b, 0);
  }

  private async partition(
    p: number,
    end: number,
    lanes: KeyedLanes,
    bulk: BulkConversationsApply | undefined,
  ): Promise<number> {
    const from = this.applied[p]! + 1;
    if (end < from) return 0;
    const { js, jsm, topology } = this.client;
    const stream = partitionStreamName(topology, p);
    let read = 0;
    for await (const m of readStream(js, jsm, stream, { fromSeq: from, toSeq: end })) {
      read++;
      const where = parseConversationSubject(topology, m.subject);
      const key = where?.conversationId ?? m.subject;
      const stored = { subject: m.subject, seq: m.seq, data: m.data };
      const quoted = quotedConversation(m.data, key);
      await lanes.run(key, () => this.apply(stream, stored, quoted, bulk), quoted);
    }
    return read;
  }

  private async apply(
    stream: string,
    m: { subject: string; seq: number; data: Uint8Array },
    quoted: string | undefined,
    bulk: BulkConversationsApply | undefined,
  ): Promise<void> {
    try {
      await (bulk ? bulk.handle(m, quoted) : this.projection.handle(m));
    } catch (err) {
      if (!(err instanceof EventSchemaError)) throw err;
      this.undecodable++;
      process.stderr.write(`rebuild: ${stream} sequence ${m.seq} undecodable (${err.code}); skipped\n`);
    }
    this.progress.tick();
  }
}

const QUOTE_ACROSS = Buffer.from('"replyToConversationId"');

/**
 * The other conversation a message quotes (a private reply to a group message): the quote is resolved
 * from that conversation's timeline, so the rebuild applies the message after what precedes it there,
 * as the live projector did. Only messages naming one are decoded here. Across partitions no order is
 * kept (docs/operations.md).
 */
function quotedConversation(data: Uint8Array, key: string): string | undefined {
  if (Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(QUOTE_ACROSS) < 0) return undefined;
  // Read raw, not through the codec: the quoted conversation is no personal field, and a sealed
  // MessageSent cannot be decoded without its owner's key. apply() validates the event itself.
  try {
    const raw = JSON.parse(Buffer.from(data).toString('utf8')) as {
      type?: unknown;
      data?: { replyToConversationId?: unknown };
    };
    const other = raw.type === 'MessageSent' ? raw.data?.replyToConversationId : undefined;
    return typeof other === 'string' && other !== key ? other : undefined;
  } catch {
    return undefined; // apply reports it
  }
}
