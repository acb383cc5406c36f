import { BoundedMap } from '#libs/platform';

/** An aggregate's state folded up to `version`, the state subject's sequence of its last event. */
export interface AggregateSnapshot<S> {
  readonly state: S;
  readonly version: number;
}

/** Bounded map of folded states, the least recently written dropped first. */
export class AggregateStateCache<S> extends BoundedMap<string, AggregateSnapshot<S>> {}
