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
  /**
   * Optional: events of one key that queued up behind the one being handled, handed over together (at
   * most batchMax), so the handler can fold them into one wave of writes. If it throws, each event is
   * handled alone by `handle`, with the usual retries, parking and outage handling, so a batch changes
   * nothing but the cost. Not used for events that have an afterKeyOf dependency.
   */
  readonly handleBatch?: (msgs: readonly JsMsg[]) => Promise<void>;
  readonly batchMax?: number;
  /**
   * Optional: a head start for each event, run as soon as it is pulled, in stream order per key, while
   * earlier events of its key are still being handled (the delivery reactor publishes live here, ahead
   * of the writes). `caughtUp` says every earlier event of the key is handled; otherwise the previous
   * one's head start got ahead. Its event is handled only after it; a failure is logged, as `handle`
   * must still do all the work alone. It resolves true when it did for its event what a dependant
   * (afterKeyOf) needs; after a false the next head start waits until its key caught up.
   */
  readonly prepare?: (msg: JsMsg, caughtUp: boolean) => Promise<boolean>;
  /**
   * With prepare: an afterKeyOf dependency is met once the head starts of the events before it are
   * done, when each of those still in flight got one (a live receipt needs its messages published, not
   * written); otherwise once they are handled. Asked at each dependant's dispatch.
   */
  readonly afterPrepared?: () => boolean;
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
  /** Called whenever an event is finished (acknowledged, or parked): the floor may have moved. */
  readonly onFinished?: () => void;
}

/** While events a previous process held may still come back, the server's ack floor is asked this often. */
const FLOOR_POLL_MS = 500;
/** How long one pull request waits for events before the client sends another. */
const PULL_EXPIRES_MS = 5_000;

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
  /** Per key, the batch waiting behind the key's running work, which later events may still join. */
  private readonly open = new Map<string, JsMsg[]>();
  /** Per key while it has events in flight, the last head start (see `prepare`); per event its own. */
  private readonly preparing = new Map<string, Promise<boolean>>();
  private readonly prepared = new WeakMap<JsMsg, Promise<boolean>>();
  /** Per key, its events in flight whose head start did not do it all (see afterPrepared). */
  private readonly behind = new Map<string, Set<JsMsg>>();
  /** Finished events whose acks leave together (see ack). */
  private acks: JsMsg[] = [];
  private inFlight = 0;
  private slotFreed?: () => void;
  private loop?: Promise<void>;
  private stopping = false;
  /** Stream sequences handed out and not finished (a count: an in-process redelivery may double one). */
  private readonly unfinished = new Map<number, number>();
  private highest = 0;
  /** The server's ack floor when started, raised by polls while `uncertainUpTo` is set. */
  private base?: number;
  /** Delivered before this process started and maybe not acknowledged: redelivered after ack_wait. */
  private uncertainUpTo = 0;
  private floorPoll?: NodeJS.Timeout;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly o: DurableConsumerOptions,
  ) {}

  async start(): Promise<void> {
    await ensureDurable(this.jsm, this.o);
    const info = await this.jsm.consumers.info(this.o.stream, this.o.durable);
    this.base = info.ack_floor.stream_seq;
    this.highest = this.base;
    // Events handed out and not acknowledged. A nak'd one does not show in `delivered` (nats-server
    // 2.9 rolls it back), only in the pending acks: then any event up to the stream's end may be one.
    if (info.delivered.stream_seq > this.base || info.num_ack_pending > 0) {
      const last = info.num_ack_pending > 0 ? (await this.jsm.streams.info(this.o.stream)).state.last_seq : 0;
      this.uncertainUpTo = Math.max(info.delivered.stream_seq, last);
      this.floorPoll = setInterval(() => void this.pollFloor(), FLOOR_POLL_MS);
      this.floorPoll.unref();
    }
    const consumer = await this.js.consumers.get(this.o.stream, this.o.durable);
    // Short pulls (heartbeats every 2.5 s, not the client's default 15 s): a pull parked on a consumer
    // leader that dies (an R3 stream's leader killed, this connection on a survivor) is only noticed
    // after two missed heartbeats, and until then nothing is delivered.
    this.messages = await consumer.consume({ max_messages: 512, expires: PULL_EXPIRES_MS });
    this.watch(this.messages).catch((err: unknown) =>
      this.o.logger.debug({ stream: this.o.stream, err: errorMessageOf(err) }, 'pull status watch ended'),
    );
    this.loop = this.run(this.messages);
  }

  /** Logs why deliveries pause (the client pulls again by itself), so an operator sees it. */
  private async watch(messages: ConsumerMessages): Promise<void> {
    for await (const s of messages.status()) {
      if (s.type === 'heartbeats_missed' || s.type === 'consumer_not_found' || s.type === 'no_responders')
        this.o.logger.warn(
          { stream: this.o.stream, durable: this.o.durable, status: s.type },
          'pull consumer lost its pull; pulling again',
        );
    }
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    const max = this.o.maxInFlight ?? 128;
    for await (const msg of messages) {
      this.unfinished.set(msg.seq, (this.unfinished.get(msg.seq) ?? 0) + 1);
      if (msg.seq > this.highest) this.highest = msg.seq;
      while (this.inFlight >= max) await new Promise<void>((r) => (this.slotFreed = r));
      const key = this.o.keyOf(msg);
      const after = this.o.afterKeyOf?.(msg);
      this.inFlight++;
      const waiting = after === undefined ? this.open.get(key) : undefined;
      if (waiting && waiting.length < (this.o.batchMax ?? 64)) {
        waiting.push(msg);
        if (this.o.prepare) this.prepareInOrder(key, msg, { joined: true });
        continue;
      }
      const batch = [msg];
      const prior = this.chains.get(key);
      if (this.o.prepare) this.prepareInOrder(key, msg, { before: prior, joined: false });
      if (this.o.handleBatch && after === undefined) this.open.set(key, batch);
      const dependency = after === undefined ? undefined : this.dependencyOn(after);
      const ready = dependency ? Promise.allSettled([prior, dependency]) : (prior ?? Promise.resolve());
      const next = ready.then(async () => {
        if (this.open.get(key) === batch) this.open.delete(key); // started: later events form the next batch
        await Promise.all(batch.map((m) => this.prepared.get(m)));
        return this.processAll(batch);
      });
      this.chains.set(key, next);
      void next.finally(() => {
        this.inFlight -= batch.length;
        const behind = this.behind.get(key);
        if (behind) {
          for (const m of batch) behind.delete(m);
          if (behind.size === 0) this.behind.delete(key);
        }
        if (this.chains.get(key) === next) {
          this.chains.delete(key);
          this.preparing.delete(key); // every head start of the key is done: its events waited for them
        }
        this.slotFreed?.();
        this.slotFreed = undefined;
      });
    }
  }

  /** What an event depending on `after` waits for: its handling, or only its head starts (afterPrepared). */
  private dependencyOn(after: string): Promise<unknown> | undefined {
    const handled = this.chains.get(after);
    if (!handled || !this.o.afterPrepared?.()) return handled;
    const heads = this.preparing.get(after) ?? Promise.resolve();
    return heads.then(() => (this.behind.has(after) ? handled : undefined));
  }

  /**
   * Chains the event's head start behind its key's earlier ones; never fails. After one that did not
   * get ahead, the next waits until everything before it is handled (`before`) and is told it is caught
   * up, so a busy key regains head starts without ever going idle.
   */
  private prepareInOrder(key: string, msg: JsMsg, batch: { before?: Promise<void>; joined: boolean }): void {
    const prior = this.preparing.get(key);
    const done = (prior ?? Promise.resolve(false))
      .then(async (previousAhead) => {
        // A head start presumes stream order, which redeliveries of a previous holder's events break.
        if (this.uncertain()) return false;
        if (previousAhead) return this.o.prepare!(msg, false);
        // An event that joined a batch cannot wait for the handling of the members before it.
        if (batch.joined) return this.o.prepare!(msg, false);
        await batch.before;
        return this.o.prepare!(msg, true);
      })
      .catch((err: unknown) => {
        this.o.logger.warn(
          { stream: this.o.stream, seq: msg.seq, err: errorMessageOf(err) },
          'head start failed; the event is handled in full',
        );
        return false;
      })
      .then((ahead) => {
        // Until it is handled (which waits for this), its dependants wait for that.
        if (!ahead) {
          const behind = this.behind.get(key) ?? new Set<JsMsg>();
          behind.add(msg);
          this.behind.set(key, behind);
        }
        return ahead;
      });
    this.preparing.set(key, done);
    this.prepared.set(msg, done);
  }

  /**
   * Acknowledges at the end of this turn of the event loop, with every other event finished in it: the
   * acks then leave in one socket write, not one write each (nats.js flushes once per microtask run).
   */
  private ack(msg: JsMsg): void {
    this.acks.push(msg);
    if (this.acks.length === 1) setImmediate(() => this.sendAcks());
  }

  private sendAcks(): void {
    const acks = this.acks;
    this.acks = [];
    for (const m of acks) m.ack();
  }

  /** Handles a batch of one key: folded by handleBatch when there are several, else one at a time. */
  private async processAll(batch: readonly JsMsg[]): Promise<void> {
    if (batch.length > 1 && this.o.handleBatch && !this.stopping) {
      try {
        await this.o.handleBatch(batch);
        for (const msg of batch) {
          this.ack(msg);
          this.o.observer?.applied(msg);
          this.finished(msg.seq);
        }
        return;
      } catch (err) {
        this.o.logger.warn(
          { stream: this.o.stream, seqs: batch.map((m) => m.seq), err: errorMessageOf(err) },
          'batch failed; handling its events one at a time',
        );
      }
    }
    for (const msg of batch) if (await this.process(msg)) this.finished(msg.seq);
  }

  /**
   * Whether events delivered before this consumer started (to a previous holder of the partition, or
   * to this process before a restart) may still come back: until the server's ack floor passes them,
   * a newer event can arrive before an older one of the same key.
   */
  uncertain(): boolean {
    return this.uncertainUpTo > 0;
  }

  /**
   * The highest stream sequence at or below which every event this consumer sees is finished
   * (acknowledged or parked), computed in process from what it handed out and finished; undefined
   * before start. After a restart it is the server's ack floor until every event the previous
   * process held is finished, since those come back only after ack_wait.
   */
  floor(): number | undefined {
    if (this.base === undefined) return undefined;
    if (this.uncertainUpTo > 0) return this.base;
    let lowest = Infinity;
    for (const seq of this.unfinished.keys()) if (seq < lowest) lowest = seq;
    // Nothing in hand: everything up to the server's floor (the previous holder finished events this
    // consumer never saw) and everything this one handed out is finished.
    return lowest === Infinity ? Math.max(this.base, this.highest) : Math.max(this.base, lowest - 1);
  }

  private finished(seq: number): void {
    const n = this.unfinished.get(seq) ?? 0;
    if (n <= 1) this.unfinished.delete(seq);
    else this.unfinished.set(seq, n - 1);
    this.o.onFinished?.();
  }

  private async pollFloor(): Promise<void> {
    try {
      const info = await this.jsm.consumers.info(this.o.stream, this.o.durable);
      this.base = Math.max(this.base ?? 0, info.ack_floor.stream_seq);
      if (this.base >= this.uncertainUpTo) {
        this.uncertainUpTo = 0;
        clearInterval(this.floorPoll);
        this.floorPoll = undefined;
      }
      this.o.onFinished?.();
    } catch (err) {
      this.o.logger.debug({ stream: this.o.stream, err: errorMessageOf(err) }, 'ack floor poll failed');
    }
  }

  /** Resolves true once the message is finished (acknowledged or parked), false if left for redelivery. */
  private async process(msg: JsMsg): Promise<boolean> {
    const maxAttempts = this.o.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      if (this.stopping && attempt > 1) {
        // Given back at once: the partition's next holder (or this process after a restart) takes it now
        // instead of after ack_wait, and its floor does not wait that long for it.
        msg.nak();
        return false;
      }
      try {
        await this.o.handle(msg);
        this.ack(msg);
        this.o.observer?.applied(msg);
        return true;
      } catch (err) {
        this.o.observer?.failed(msg, err, attempt);
        // A payload that fails its schema fails the same way every time: park it at once. A dependency
        // that is down is no fault of the event: never park for it.
        const unavailable = (this.o.isUnavailable ?? isDependencyUnavailable)(err);
        if (err instanceof EventSchemaError || (!unavailable && attempt >= maxAttempts)) {
          return this.park(msg, err, attempt);
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
  private async park(msg: JsMsg, err: unknown, attempts: number): Promise<boolean> {
    const where = { stream: this.o.stream, seq: msg.seq, subject: msg.subject, durable: this.o.durable };
    const reason = `${err instanceof EventSchemaError ? `${err.code}: ` : ''}${errorMessageOf(err)}`;
    if (!this.o.deadLetterSubject) {
      this.o.logger.error(
        { ...where, attempts, err: reason },
        'poison event terminated (no dead-letter subject)',
      );
      msg.term();
      return true;
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
        return true;
      } catch (parkErr) {
        // Never drop an event: without a place to park it, keep it unacknowledged and try again.
        this.o.logger.error({ ...where, tries, err: errorMessageOf(parkErr) }, 'could not park poison event');
        if (this.stopping) return false;
        msg.working();
        await sleep(Math.min(500 * tries, 5000));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.floorPoll);
    await this.messages?.close();
    await this.loop;
    await Promise.allSettled([...this.chains.values()]);
    this.sendAcks();
  }
}
