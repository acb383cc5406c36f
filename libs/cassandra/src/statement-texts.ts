import cassandra, { type tracker } from 'cassandra-driver';
import type { StatementCounts } from './statement-counts.js';

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

  /**
   * `onNewText`: called with the new count each time a text is seen for the first time. `counts`, when
   * given, counts every statement by caller (chat_cassandra_statements_total).
   */
  constructor(
    private readonly onNewText: (count: number) => void = () => undefined,
    private readonly counts?: StatementCounts,
    private readonly onRequest: () => void = () => undefined,
  ) {
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
    this.onRequest();
    if (typeof query === 'string') return this.recordText(query);
    for (const q of query) this.recordText(q.query);
  }

  private recordText(text: string): void {
    this.counts?.count(text);
    if (this.texts.size >= StatementTexts.LIMIT || this.texts.has(text)) return;
    this.texts.add(text);
    this.onNewText(this.texts.size);
  }
}
