import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';

/**
 * Headers on a parked (dead-lettered) event, readable in `nats stream view <ns>_DLQ`. The original
 * event's own headers (Chat-Event-Type, ...) are copied as they were; the payload is the original bytes.
 */
export const DEAD_LETTER_HEADERS = {
  stream: 'Chat-Dlq-Stream',
  sequence: 'Chat-Dlq-Sequence',
  subject: 'Chat-Dlq-Subject',
  durable: 'Chat-Dlq-Durable',
  error: 'Chat-Dlq-Error',
  errorCode: 'Chat-Dlq-Error-Code',
  attempts: 'Chat-Dlq-Attempts',
  parkedAt: 'Chat-Dlq-Parked-At',
  /** On a retry request: the DLQ sequence of the parked copy it retries. */
  retryOf: 'Chat-Dlq-Retry-Of',
} as const;

/** The part of a stored message a projection reads: what a retried event can stand in for. */
export type StoredMessage = Pick<JsMsg, 'subject' | 'seq' | 'data'> & {
  /** Set when JetStream delivers it again (a JsMsg has it); events are then possibly out of order. */
  readonly redelivered?: boolean;
};

/** Where an event sits in the log, when it is not where the message carrying it sits (a retry). */
export interface LogOrigin {
  readonly stream: string;
  readonly sequence: number;
  readonly subject: string;
}

/** Where a parked event came from and why it was parked. */
export interface DeadLetterOrigin {
  readonly stream: string;
  readonly sequence: number;
  readonly subject: string;
  readonly durable: string;
  readonly error: string;
  readonly errorCode: string;
  readonly attempts: number;
  readonly parkedAt: string;
}

function errorCodeOf(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return err instanceof Error ? err.name : 'UNKNOWN';
}

export function errorMessageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Copies a message that its handler cannot apply to the dead-letter subject, with where it came from and
 * the error. The Nats-Msg-Id makes parking the same delivery twice (after a crash) store it once.
 */
export async function parkMessage(
  js: JetStreamClient,
  deadLetterSubject: string,
  msg: JsMsg,
  o: { stream: string; durable: string; err: unknown; attempts: number; now: Date; origin?: LogOrigin },
): Promise<number> {
  const h = natsHeaders();
  for (const [key, values] of copyableHeaders(msg.headers)) for (const v of values) h.append(key, v);
  const origin: DeadLetterOrigin = {
    stream: o.origin?.stream ?? o.stream,
    sequence: o.origin?.sequence ?? msg.seq,
    subject: o.origin?.subject ?? msg.subject,
    durable: o.durable,
    // Header values are single lines; the full message stays in the log line.
    error: errorMessageOf(o.err)
      .replace(/[\r\n]+/g, ' ')
      .slice(0, 1024),
    errorCode: errorCodeOf(o.err),
    attempts: o.attempts,
    parkedAt: o.now.toISOString(),
  };
  for (const [field, header] of Object.entries(DEAD_LETTER_HEADERS)) {
    h.set(header, String(origin[field as keyof DeadLetterOrigin]));
  }
  const ack = await js.publish(deadLetterSubject, msg.data, {
    headers: h,
    msgID: `${o.durable}:${o.stream}:${msg.seq}`, // the delivering stream's position: unique per attempt
  });
  return ack.seq;
}

function copyableHeaders(h: MsgHdrs | undefined): [string, string[]][] {
  if (!h) return [];
  // Nats-* headers would make JetStream de-duplicate or check expectations on the DLQ stream; the
  // Chat-Dlq-* ones of a retried copy are written afresh.
  return h
    .keys()
    .filter((k) => !/^(nats-|chat-dlq-)/i.test(k))
    .map((k) => [k, h.values(k)]);
}

/** Reads the origin back from a parked message's headers; undefined if they are not all there. */
export function deadLetterOrigin(h: MsgHdrs | undefined): DeadLetterOrigin | undefined {
  const get = (name: string): string | undefined => (h?.has(name) ? h.get(name) : undefined);
  const stream = get(DEAD_LETTER_HEADERS.stream);
  const sequence = Number(get(DEAD_LETTER_HEADERS.sequence));
  const subject = get(DEAD_LETTER_HEADERS.subject);
  const durable = get(DEAD_LETTER_HEADERS.durable);
  if (!stream || !subject || !durable || !Number.isInteger(sequence)) return undefined;
  return {
    stream,
    sequence,
    subject,
    durable,
    error: get(DEAD_LETTER_HEADERS.error) ?? '',
    errorCode: get(DEAD_LETTER_HEADERS.errorCode) ?? '',
    attempts: Number(get(DEAD_LETTER_HEADERS.attempts) ?? 0),
    parkedAt: get(DEAD_LETTER_HEADERS.parkedAt) ?? '',
  };
}
