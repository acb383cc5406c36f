import { setTimeout as sleep } from 'node:timers/promises';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { EventSchemaError } from '#libs/events';
import { isDependencyUnavailable } from '#libs/platform';
import { errorMessageOf, parkMessage, type LogOrigin } from './dead-letter.js';

/** What a consumer reports as it goes, for metrics (the runner turns these into Prometheus series). */
export interface ConsumerObserver {
  applied(msg: JsMsg): void;
  failed(msg: JsMsg, err: unknown, attempt: number): void;
  parked(msg: JsMsg, err: unknown): void;
}

export interface DurableConsumerOptions {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject?: string;
  /** Messages with the same key are handled one at a time in stream order; other keys in parallel. */
  readonly keyOf: (msg: JsMsg) => string;
  /**
   * Another key whose messages dispatched so far must be handled before this one: an ordering
   * dependency without sharing the lane (a receipt waits for the messages it names, not for receipts).
   */
  readonly afterKeyOf?: (msg: JsMsg) => string | undefined;
  readonly handle: (msg: JsMsg) => Promise<void>;
  readonly logger: Logger;
  readonly maxInFlight?: number;
  readonly ackWaitMs?: number;
  /**
   * Attempts before an event is parked on the dead-letter subject (default 5). Only failures of the work
   * itself count: a dependency that is down (`isUnavailable`) is retried for as long as it takes.
   */
  readonly maxAttempts?: number;
  /** Whether a failure is a dependency being down or slow (default: isDependencyUnavailable). */
  readonly isUnavailable?: (err: unknown) => boolean;
  /** First retry delay; it doubles per attempt up to maxBackoffMs (defaults 200 and 5000). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * Where events are parked once retries run out (deadLetterSubject() of stream-topology). Without
   * one, such an event is terminated with only a log line: consumers that own a read model set it.
   */
  readonly deadLetterSubject?: string;
  readonly observer?: ConsumerObserver;
  /** For a consumer of retried events: where the event really sits in the log, kept when re-parked. */
  readonly originOf?: (msg: JsMsg) => LogOrigin | undefined;
  /** The durable named on parked events, whose retry subject gets them back (defaults to `durable`). */
  readonly parkedFor?: string;
  readonly now?: () => Date;
}

/** Creates the durable consumer if missing (or updates it), so its name reads well in `nats consumer ls`. */
export async function ensureDurable(
  jsm: JetStreamManager,
  o: Pick<DurableConsumerOptions, 'stream' | 'durable' | 'filterSubject' | 'ackWaitMs'>,
): Promise<void> {
  const config = {
    durable_name: o.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(o.ackWaitMs ?? 10_000),
    max_ack_pending: 2000,
    max_deliver: -1,
    ...(o.filterSubject ? { filter_subject: o.filterSubject } : {}),
  };
  try {
    await jsm.consumers.info(o.stream, o.durable);
    await jsm.consumers.update(o.stream, o.durable, {
      ack_wait: config.ack_wait,
      max_ack_pending: config.max_ack_pending,
    });
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
    await jsm.consumers.add(o.stream, config);
  }
}

/**
 * One consumer loop shape everywhere: consume, handle, ack. A failing handler is retried with backoff
 * (telling JetStream the message is still being worked on), holding back only its own key; after
 * maxAttempts (at once for a payload that fails its schema) it is parked on the dead-letter subject with
 * the error, stream and sequence in headers, terminated, and the consumer goes on. A dependency that is
 * down is never the event's fault: such failures are retried with capped backoff until it is back, the
 * key's later events wait behind it (so they resume in order), and the consumer pulls nothing new once
 * maxInFlight events are waiting. stop() stops pulling and waits for the
 * work in flight, so a restart resumes exactly after what was acknowledged.
 */
export class DurableConsumer {
  private messages?: ConsumerMessages;
  private readonly chains = new Map<string, Promise<void>>();
  private inFlight = 0;
  private slotFreed?: () => void;
  private loop?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly o: DurableConsumerOptions,
  ) {}

  async start(): Promise<void> {
    await ensureDurable(this.jsm, this.o);
    const consumer = await this.js.consumers.get(this.o.stream, this.o.durable);
    this.messages = await consumer.consume({ max_messages: 512 });
    this.loop = this.run(this.messages);
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    const max = this.o.maxInFlight ?? 128;
    for await (const msg of messages) {
      while (this.inFlight >= max) await new Promise<void>((r) => (this.slotFreed = r));
      const key = this.o.keyOf(msg);
      const after = this.o.afterKeyOf?.(msg);
      this.inFlight++;
      const prior = this.chains.get(key);
      const dependency = after === undefined ? undefined : this.chains.get(after);
      const ready = dependency ? Promise.allSettled([prior, dependency]) : (prior ?? Promise.resolve());
      const next = ready.then(() => this.process(msg));
      this.chains.set(key, next);
      void next.finally(() => {
        this.inFlight--;
        if (this.chains.get(key) === next) this.chains.delete(key);
        this.slotFreed?.();
        this.slotFreed = undefined;
      });
    }
  }

  private async process(msg: JsMsg): Promise<void> {
    const maxAttempts = this.o.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      if (this.stopping && attempt > 1) return; // leave it unacknowledged: it is redelivered after restart
      try {
        await this.o.handle(msg);
        msg.ack();
        this.o.observer?.applied(msg);
        return;
      } catch (err) {
        this.o.observer?.failed(msg, err, attempt);
        // A payload that fails its schema fails the same way every time: park it at once. A dependency
        // that is down is no fault of the event: never park for it.
        const unavailable = (this.o.isUnavailable ?? isDependencyUnavailable)(err);
        if (err instanceof EventSchemaError || (!unavailable && attempt >= maxAttempts)) {
          await this.park(msg, err, attempt);
          return;
        }
        const base = this.o.backoffMs ?? 200;
        const delay = Math.min(base * 2 ** Math.min(attempt - 1, 20), this.o.maxBackoffMs ?? 5000);
        this.o.logger.warn(
          {
            stream: this.o.stream,
            seq: msg.seq,
            subject: msg.subject,
            attempt,
            unavailable,
            err: errorMessageOf(err),
          },
          unavailable ? 'a dependency is unavailable; retrying' : 'handler failed; retrying',
        );
        msg.working();
        await sleep(delay);
      }
    }
  }

  /** Copies the event to the dead-letter subject, then terminates it so the consumer goes on. */
  private async park(msg: JsMsg, err: unknown, attempts: number): Promise<void> {
    const where = { stream: this.o.stream, seq: msg.seq, subject: msg.subject, durable: this.o.durable };
    const reason = `${err instanceof EventSchemaError ? `${err.code}: ` : ''}${errorMessageOf(err)}`;
    if (!this.o.deadLetterSubject) {
      this.o.logger.error(
        { ...where, attempts, err: reason },
        'poison event terminated (no dead-letter subject)',
      );
      msg.term();
      return;
    }
    for (let tries = 1; ; tries++) {
      const origin = this.o.originOf?.(msg);
      const at = origin
        ? `${origin.stream} sequence ${origin.sequence} (retried)`
        : `${this.o.stream} sequence ${msg.seq}`;
      try {
        const dlqSeq = await parkMessage(this.js, this.o.deadLetterSubject, msg, {
          stream: this.o.stream,
          durable: this.o.parkedFor ?? this.o.durable,
          err,
          attempts,
          now: this.o.now?.() ?? new Date(),
          origin,
        });
        // No reason on term(): nats-server 2.9 ignores a "+TERM <reason>" it does not parse, leaving
        // the message pending. The reason is in the DLQ headers and the log line instead.
        msg.term();
        this.o.observer?.parked(msg, err);
        this.o.logger.error(
          { ...where, attempts, err: reason, deadLetterSubject: this.o.deadLetterSubject, dlqSeq },
          `poison event at ${at} parked on ${this.o.deadLetterSubject}`,
        );
        return;
      } catch (parkErr) {
        // Never drop an event: without a place to park it, keep it unacknowledged and try again.
        this.o.logger.error({ ...where, tries, err: errorMessageOf(parkErr) }, 'could not park poison event');
        if (this.stopping) return;
        msg.working();
        await sleep(Math.min(500 * tries, 5000));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    await this.loop;
    await Promise.allSettled([...this.chains.values()]);
  }
}
