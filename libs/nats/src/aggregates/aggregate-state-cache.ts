/** An aggregate's state folded up to `version`, the state subject's sequence of its last event. */
export interface AggregateSnapshot<S> {
  readonly state: S;
  readonly version: number;
}

/** Bounded map of folded states, the least recently written dropped first. */
export class AggregateStateCache<S> {
  private readonly entries = new Map<string, AggregateSnapshot<S>>();

  constructor(private readonly limit: number) {}

  get(id: string): AggregateSnapshot<S> | undefined {
    return this.entries.get(id);
  }

  set(id: string, snapshot: AggregateSnapshot<S>): void {
    this.entries.delete(id);
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(id, snapshot);
  }
}
