import cassandra, { type tracker } from 'cassandra-driver';

// The typings declare RequestTracker as an interface only, yet the driver checks `instanceof` its class.
const RequestTrackerBase = (
  cassandra as unknown as { tracker: { RequestTracker: new () => tracker.RequestTracker } }
).tracker.RequestTracker;

type Query = string | ReadonlyArray<{ query: string }>;

/**
 * The distinct statement texts a process has sent (a driver request tracker). Every statement is
 * prepared, and Cassandra keeps a bounded cache of prepared statements: a text that varies per call
 * (a value pasted in instead of a `?` bind marker) prepares a new statement on every call and evicts the
 * useful ones. Their number is exported on /metrics as chat_cassandra_statement_texts; it must stay flat
 * under load, which test/cassandra/statement-texts.e2e.spec.ts checks.
 */
export class StatementTexts extends RequestTrackerBase {
  /** Past this many, a runaway is already obvious; stop recording so the set stays bounded. */
  static readonly LIMIT = 10_000;
  private readonly texts = new Set<string>();

  /** `onNewText`: called with the new count each time a text is seen for the first time. */
  constructor(private readonly onNewText: (count: number) => void = () => undefined) {
    super();
  }

  get size(): number {
    return this.texts.size;
  }

  override onSuccess(_host: unknown, query: Query): void {
    this.record(query);
  }

  override onError(_host: unknown, query: Query): void {
    this.record(query);
  }

  override shutdown(): void {
    this.texts.clear();
  }

  private record(query: Query): void {
    for (const text of typeof query === 'string' ? [query] : query.map((q) => q.query)) {
      if (this.texts.size >= StatementTexts.LIMIT) return;
      if (this.texts.has(text)) continue;
      this.texts.add(text);
      this.onNewText(this.texts.size);
    }
  }
}
