import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';

/** Which part of one stream to read; every bound is optional and they combine. */
export interface StreamRange {
  /** One subject filter (wildcards allowed): nats-server 2.9 takes one per consumer. */
  readonly filterSubject?: string;
  readonly fromSeq?: number;
  readonly toSeq?: number;
  /** Stream (server) time of the message, not the event's occurredAt. */
  readonly since?: Date;
  readonly until?: Date;
  /** Keep reading live events after the end of what is stored now (until `until` or toSeq). */
  readonly follow?: boolean;
  /** Messages per pull: large batches are what make a replay fast. */
  readonly batch?: number;
  readonly signal?: AbortSignal;
  /**
   * Names the ordered consumer `<prefix>_<n>` instead of a random name: a follower that lives as long
   * as its process says so in `nats consumer ls` (`follower-...`), where tests tell it from a leak.
   */
  readonly namePrefix?: string;
  /** Only headers and subjects, no payloads (a follower that reacts to event types). */
  readonly headersOnly?: boolean;
}

function startOf(range: StreamRange): {
  deliver_policy: DeliverPolicy;
  opt_start_seq?: number;
  opt_start_time?: string;
} {
  if (range.fromSeq !== undefined && range.fromSeq > 1)
    return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: range.fromSeq };
  if (range.since)
    return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: range.since.toISOString() };
  return { deliver_policy: DeliverPolicy.All };
}

/** Stream time of a message in milliseconds since the epoch. */
export function streamTimeMs(msg: JsMsg): number {
  return Number(msg.info.timestampNanos) / 1e6;
}

/**
 * Reads one stream in order with an ordered (ephemeral, unacknowledged) consumer: the way to replay
 * history without touching any durable consumer. Without `follow` it stops at the end of what is stored
 * when it starts.
 */
export async function* readStream(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  range: StreamRange = {},
): AsyncGenerator<JsMsg> {
  const state = (await jsm.streams.info(stream)).state;
  const end = Math.min(range.toSeq ?? Infinity, range.follow ? Infinity : state.last_seq);
  if (!range.follow && (state.messages === 0 || end < Math.max(range.fromSeq ?? 1, state.first_seq))) return;
  const consumer = await js.consumers.get(stream, {
    ...(range.filterSubject ? { filter_subjects: range.filterSubject } : {}),
    ...(range.namePrefix ? { name_prefix: range.namePrefix } : {}),
    ...(range.headersOnly ? { headers_only: true } : {}),
    ...startOf(range),
  });
  if (!range.follow && (await consumer.info(true)).num_pending === 0) return;
  const messages = await consumer.consume({ max_messages: range.batch ?? 10_000 });
  const abort = (): void => void messages.close();
  range.signal?.addEventListener('abort', abort, { once: true });
  const untilMs = range.until?.getTime();
  try {
    for await (const m of messages) {
      if (m.seq > end) break;
      if (untilMs !== undefined && streamTimeMs(m) > untilMs) break;
      yield m;
      if (m.seq >= end || (!range.follow && m.info.pending === 0)) break;
    }
  } finally {
    range.signal?.removeEventListener('abort', abort);
    await messages.close();
  }
}
