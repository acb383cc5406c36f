import { randomUUID } from 'node:crypto';
import type { DomainError } from '#libs/domain';
import type { EventEnvelope, StoredEvent } from '#libs/events';
import { ConcurrencyError, type AppendResult, type EventStore } from '../event-store.js';
import type { Aggregate } from './aggregate.js';
import { AggregateStateCache, type AggregateSnapshot } from './aggregate-state-cache.js';

export interface HandleOptions {
  readonly now: Date;
  /** Idempotency key (Nats-Msg-Id) of the first event: a resend gets the stored event's ack back. */
  readonly msgId?: string;
}

export type Handled<S, E> =
  | {
      readonly ok: true;
      readonly state: S;
      /** The state subject's sequence after the command. */
      readonly version: number;
      readonly events: readonly E[];
      readonly acks: readonly AppendResult[];
      /** 1 unless conflicts made it decide again. */
      readonly attempts: number;
    }
  | { readonly ok: false; readonly error: DomainError };

export interface AggregateHandlerOptions {
  /** Decisions per command before a lasting conflict is given up (ConcurrencyError). */
  readonly maxAttempts?: number;
  /** Upper bound of the random pause before the n-th retry is n times this. */
  readonly jitterMs?: number;
  readonly cacheLimit?: number;
}

/** Told of the events one command stored (duplicates left out), after they are stored. */
export type AppendedListener<E extends EventEnvelope> = (
  id: string,
  events: readonly StoredEvent<E>[],
) => void;

/**
 * The one command handler of every aggregate, in the style of emmett's `CommandHandler(decider)`: load
 * the state, decide, append with Nats-Expected-Last-Subject-Sequence, and on a conflict (JetStream
 * 10071) load again and decide again, a bounded number of times with a growing random pause, so a
 * change is applied once or refused, never lost, and two writers do not collide again in lock step.
 *
 * State comes from a cache kept current by the events this process appends; before each use it is
 * checked against the state subject's last sequence (one direct get), and only what is missing is read
 * (direct gets by subject: no consumer is created). A rejection is a value; the edge maps it.
 */
export class AggregateCommandHandler<C, S, E extends EventEnvelope> {
  private readonly cache: AggregateStateCache<S>;
  private readonly maxAttempts: number;
  private readonly jitterMs: number;
  private readonly listeners: AppendedListener<E>[] = [];
  /**
   * Bumped by every forget: a state read or folded while one happened is not cached (it may predate
   * the change that was forgotten).
   */
  private epoch = 0;

  constructor(
    private readonly store: EventStore<E>,
    private readonly aggregate: Aggregate<C, S, E>,
    options: AggregateHandlerOptions = {},
  ) {
    this.cache = new AggregateStateCache(options.cacheLimit ?? 50_000);
    this.maxAttempts = options.maxAttempts ?? 10;
    this.jitterMs = options.jitterMs ?? 5;
  }

  /** The state subject's last sequence (0: no event yet): one direct get, nothing folded. */
  version(id: string): Promise<number> {
    const { stream, stateSubject } = this.aggregate.locate(id);
    return this.store.lastSequence(stream, stateSubject);
  }

  /** The aggregate's current state and version (0: no event yet). */
  async load(id: string): Promise<AggregateSnapshot<S>> {
    const { stream, stateSubject } = this.aggregate.locate(id);
    const epoch = this.epoch;
    const cached = this.cache.get(id);
    const last = await this.store.lastSequence(stream, stateSubject);
    if (cached && cached.version === last) return cached;
    // A cache ahead of the log (a purge, a rebuilt stream) is not trusted: fold from the start.
    const base =
      cached && cached.version < last ? cached : { state: this.aggregate.initialState(), version: 0 };
    let { state, version } = base;
    for (const e of await this.store.read(stream, stateSubject, version + 1)) {
      state = this.aggregate.evolve(state, e.event, e.streamSequence);
      version = e.streamSequence;
    }
    const fresh = { state, version };
    if (this.epoch === epoch) this.cache.set(id, fresh);
    return fresh;
  }

  async handle(id: string, command: C, options: HandleOptions): Promise<Handled<S, E>> {
    const ctx = { now: options.now, newEventId: randomUUID };
    for (let attempt = 1; ; attempt++) {
      const snapshot = this.cache.get(id);
      const cached = snapshot && this.aggregate.trustsCache?.(command, snapshot.state) ? snapshot : undefined;
      let loaded = cached ?? (await this.load(id));
      let decision = this.aggregate.decide(command, loaded.state, ctx);
      if (!decision.ok && cached) {
        loaded = await this.load(id);
        decision = this.aggregate.decide(command, loaded.state, ctx);
      }
      if (!decision.ok) return decision;
      try {
        return { ...(await this.append(id, loaded, decision.events, options.msgId)), attempts: attempt };
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
        if (attempt >= this.maxAttempts) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * this.jitterMs * attempt));
      }
    }
  }

  /** Drops a cached state (its state subject changed elsewhere): the next command loads it again. */
  forget(id: string): void {
    this.epoch++;
    this.cache.delete(id);
  }

  /** Drops every cached state (changes may have been missed, e.g. across a reconnect). */
  forgetAll(): void {
    this.epoch++;
    this.cache.clear();
  }

  /** In-process listeners of what this handler appends (the apps hand them to the EventBus). */
  onAppended(listener: AppendedListener<E>): void {
    this.listeners.push(listener);
  }

  /** The event stored at a stream position (to answer a de-duplicated resend with what was stored). */
  storedEvent(stream: string, seq: number): Promise<E | undefined> {
    return this.store.get(stream, seq);
  }

  private async append(
    id: string,
    loaded: AggregateSnapshot<S>,
    events: readonly E[],
    msgId: string | undefined,
  ): Promise<{ ok: true; state: S; version: number; events: readonly E[]; acks: AppendResult[] }> {
    const where = this.aggregate.locate(id);
    const epoch = this.epoch;
    let { state, version } = loaded;
    const acks: AppendResult[] = [];
    const stored: StoredEvent<E>[] = [];
    try {
      for (const event of events) {
        const subject = where.subjectOf(event);
        const checked = subject === where.stateSubject;
        const ack = await this.store.append(subject, event, {
          ...(msgId && acks.length === 0 ? { msgId } : {}),
          ...(checked ? { expectedLastSubjectSequence: version } : {}),
        });
        acks.push(ack);
        if (ack.duplicate) continue;
        stored.push({ event, subject, stream: ack.stream, streamSequence: ack.seq });
        if (checked) {
          version = ack.seq;
          state = this.aggregate.evolve(state, event, ack.seq);
        }
      }
    } finally {
      if (version !== loaded.version)
        if (this.epoch === epoch) this.cache.set(id, { state, version });
        else this.cache.delete(id); // a change may have come in between: the next command loads
      if (stored.length > 0) for (const listener of this.listeners) listener(id, stored);
    }
    return { ok: true, state, version, events, acks };
  }
}
