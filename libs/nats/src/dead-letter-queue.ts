import { headers as natsHeaders } from '@nats-io/transport-node';
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { EVENT_HEADERS, subjectRoot } from '#libs/events';
import { DEAD_LETTER_HEADERS, deadLetterOrigin, type DeadLetterOrigin } from './dead-letter.js';
import { readStream } from './stream-reader.js';
import { deadLetterRetrySubject, deadLetterStreamName, type TopologySettings } from './stream-topology.js';

export interface DeadLetter {
  /** Sequence in the DLQ stream: what `chatctl dlq show | retry` take. */
  readonly seq: number;
  readonly dlqSubject: string;
  readonly origin: DeadLetterOrigin;
  readonly eventType: string;
  readonly payload: Uint8Array;
  /** Times `chatctl dlq retry` republished it. */
  readonly retries: number;
}

/** Reads parked events and hands them back to their projection (docs/operations.md, "Poison event"). */
export class DeadLetterQueue {
  private readonly stream: string;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly topology: TopologySettings,
  ) {
    this.stream = deadLetterStreamName(topology);
  }

  /** Every parked event, oldest first, with how often it was retried. */
  async list(): Promise<DeadLetter[]> {
    const parked: Omit<DeadLetter, 'retries'>[] = [];
    const retries = new Map<number, number>();
    const root = `${subjectRoot(this.topology)}.dlq.`;
    try {
      for await (const m of readStream(this.js, this.jsm, this.stream)) {
        if (m.subject.endsWith('.retry')) {
          const of = Number(m.headers?.get(DEAD_LETTER_HEADERS.retryOf));
          retries.set(of, (retries.get(of) ?? 0) + 1);
          continue;
        }
        const origin = deadLetterOrigin(m.headers);
        if (!origin || !m.subject.startsWith(root)) continue;
        parked.push({
          seq: m.seq,
          dlqSubject: m.subject,
          origin,
          eventType: m.headers?.get(EVENT_HEADERS.type) ?? '',
          payload: m.data,
        });
      }
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return [];
      throw err;
    }
    return parked.map((p) => ({ ...p, retries: retries.get(p.seq) ?? 0 }));
  }

  async get(seq: number): Promise<DeadLetter | undefined> {
    return (await this.list()).find((d) => d.seq === seq);
  }

  /**
   * Republishes the parked event on `chat.dlq.<durable>.retry`, which the owning projector consumes and
   * applies at the event's original stream position. Returns the retry message's DLQ sequence.
   */
  async retry(dead: DeadLetter): Promise<number> {
    const h = natsHeaders();
    for (const [field, header] of Object.entries(DEAD_LETTER_HEADERS)) {
      if (field === 'retryOf') continue;
      h.set(header, String(dead.origin[field as keyof DeadLetterOrigin]));
    }
    h.set(DEAD_LETTER_HEADERS.retryOf, String(dead.seq));
    if (dead.eventType) h.set(EVENT_HEADERS.type, dead.eventType);
    const ack = await this.js.publish(
      deadLetterRetrySubject(this.topology, dead.origin.durable),
      dead.payload,
      {
        headers: h,
      },
    );
    return ack.seq;
  }
}
