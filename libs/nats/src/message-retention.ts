import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';

/**
 * Transient retention in the log itself: message events (the `.msg` subjects, which hold the content)
 * older than the window are purged from a conversation stream, while membership (`.meta`) and receipts
 * (`.rcpt`) stay. Never past `notAfterSeq` (the projector's ack floor), so a message is never removed
 * before it was fanned out to its recipients' inboxes.
 */
export async function purgeMessagesBefore(
  js: JetStreamClient,
  jsm: JetStreamManager,
  o: { stream: string; filter: string; cutoff: Date; notAfterSeq: number },
): Promise<{ purged: number; belowSeq: number }> {
  const firstKept = await firstSequenceAtOrAfter(js, jsm, o.stream, o.cutoff);
  const belowSeq = Math.min(firstKept, o.notAfterSeq + 1);
  if (belowSeq <= 1) return { purged: 0, belowSeq };
  const r = await jsm.streams.purge(o.stream, { filter: o.filter, seq: belowSeq });
  return { purged: r.purged, belowSeq };
}

/** The sequence of the stream's first message stored at or after `time` (last + 1 when there is none). */
async function firstSequenceAtOrAfter(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  time: Date,
): Promise<number> {
  const info = await jsm.streams.info(stream);
  if (info.state.messages === 0) return info.state.last_seq + 1;
  const consumer = await js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: time.toISOString(),
  });
  const first = await consumer.next({ expires: 1_000 });
  await consumer.delete().catch(() => undefined);
  return first ? first.seq : info.state.last_seq + 1;
}
