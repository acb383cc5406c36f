import type { CommandContext, Decision } from '#libs/domain';
import type { EventEnvelope } from '#libs/events';

/** Where one aggregate lives in the log. */
export interface AggregateLocation<E> {
  readonly stream: string;
  /**
   * The literal subject its state is folded from and its optimistic concurrency is checked on
   * (nats-server 2.9 checks Nats-Expected-Last-Subject-Sequence against one literal subject).
   */
  readonly stateSubject: string;
  /** Where an event goes; only events on `stateSubject` are checked against the decided version. */
  subjectOf(event: E): string;
}

/**
 * A decider (emmett's `Decider`: decide, evolve, initialState) and where its aggregates live: all that
 * the generic AggregateCommandHandler needs to run commands of one kind of aggregate.
 */
export interface Aggregate<C, S, E extends EventEnvelope> {
  initialState(): S;
  /** Folds one event of the state subject, with its stream sequence. */
  evolve(state: S, event: E, streamSequence: number): S;
  decide(command: C, state: S, ctx: CommandContext): Decision<E>;
  locate(id: string): AggregateLocation<E>;
  /**
   * A command that the cached state may decide without first asking the log whether it is current,
   * because nothing a concurrent change does can make its acceptance wrong; a refusal is re-decided on
   * fresh state. `state` is the cached state it would be decided on.
   */
  trustsCache?(command: C, state: S): boolean;
}
