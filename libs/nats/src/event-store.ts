import { headers as natsHeaders } from '@nats-io/transport-node';
import {
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { EVENT_HEADERS, type EventEnvelope, type EventSerializer, type StoredEvent } from '#libs/events';

/** The subject's last sequence was not what the command was decided against: reload and retry. */
export class ConcurrencyError extends Error {
  readonly code = 'CONCURRENCY_CONFLICT';
  constructor(
    readonly subject: string,
    readonly expected: number,
  ) {
    super(`subject ${subject} moved past sequence ${expected}`);
    this.name = 'ConcurrencyError';
  }
}

export interface AppendOptions {
  /** Idempotency key (Nats-Msg-Id); defaults to the event id. */
  readonly msgId?: string;
  /** Nats-Expected-Last-Subject-Sequence: 0 means the subject must be empty. */
  readonly expectedLastSubjectSequence?: number;
}

export interface AppendResult {
  readonly stream: string;
  readonly seq: number;
  /** True when JetStream recognised the msgId and stored nothing new. */
  readonly duplicate: boolean;
}

/** Appends events to and reads them from JetStream, checking every event's schema both ways. */
export class EventStore<E extends EventEnvelope> {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    /** The apps pass the PersonalDataVault (personal fields sealed); fixtures may pass the bare codec. */
    private readonly codec: EventSerializer<E>,
  ) {}

  async append(subject: string, event: E, options: AppendOptions = {}): Promise<AppendResult> {
    const payload = await this.codec.encode(event); // throws before anything is written
    const h = natsHeaders();
    h.set(EVENT_HEADERS.type, event.type);
    h.set(EVENT_HEADERS.version, String(event.version));
    h.set(EVENT_HEADERS.eventId, event.id);
    try {
      const ack = await this.js.publish(subject, payload, {
        headers: h,
        msgID: options.msgId ?? event.id,
        ...(options.expectedLastSubjectSequence !== undefined
          ? { expect: { lastSubjectSequence: options.expectedLastSubjectSequence } }
          : {}),
      });
      return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence) {
        throw new ConcurrencyError(subject, options.expectedLastSubjectSequence ?? -1);
      }
      throw err;
    }
  }

  /**
   * Reads every event on a subject (wildcards allowed) from `fromSequence`, in stream order, with an
   * ordered consumer; stops at the end of what is stored now.
   */
  async read(stream: string, subject: string, fromSequence = 1): Promise<StoredEvent<E>[]> {
    const consumer = await this.js.consumers.get(stream, {
      filter_subjects: subject,
      ...(fromSequence > 1
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSequence }
        : { deliver_policy: DeliverPolicy.All }),
    });
    const out: StoredEvent<E>[] = [];
    if ((await consumer.info(true)).num_pending === 0) return out;
    const messages = await consumer.consume();
    try {
      for await (const m of messages) {
        out.push({
          event: await this.codec.decode(m.data),
          subject: m.subject,
          stream,
          streamSequence: m.seq,
        });
        if (m.info.pending === 0) break;
      }
    } finally {
      await messages.close();
    }
    return out;
  }

  async decode(bytes: Uint8Array): Promise<E> {
    return this.codec.decode(bytes);
  }

  /** The last sequence stored on one literal subject, 0 when it has none (for optimistic concurrency). */
  async lastSequence(stream: string, subject: string): Promise<number> {
    try {
      const last = await this.jsm.streams.getMessage(stream, { last_by_subj: subject });
      return last?.seq ?? 0;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.NoMessageFound) return 0;
      throw err;
    }
  }
}
