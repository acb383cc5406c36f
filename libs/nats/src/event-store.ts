import { headers as natsHeaders } from '@nats-io/transport-node';
import {
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
   * Reads every event on one literal subject from `fromSequence`, in stream order, by direct get
   * (`next_by_subj`, answered from the server's per-subject index). Nothing is created on the server,
   * so nothing is left behind: an ordered consumer per load would stay on the stream until its
   * inactivity threshold and be matched against every publish meanwhile.
   */
  async read(stream: string, subject: string, fromSequence = 1): Promise<StoredEvent<E>[]> {
    const out: StoredEvent<E>[] = [];
    for (let seq = Math.max(1, fromSequence); ;) {
      const msg = await this.jsm.direct.getMessage(stream, { seq, next_by_subj: subject });
      if (!msg) return out;
      out.push({
        event: await this.codec.decode(msg.data),
        subject: msg.subject,
        stream,
        streamSequence: msg.seq,
      });
      seq = msg.seq + 1;
    }
  }

  /** The event stored at one stream position (direct get), undefined when there is none. */
  async get(stream: string, seq: number): Promise<E | undefined> {
    const msg = await this.jsm.direct.getMessage(stream, { seq });
    return msg ? this.codec.decode(msg.data) : undefined;
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
