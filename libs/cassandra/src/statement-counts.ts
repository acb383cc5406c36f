import { statementCaller } from './statement-callers.js';

/** The increment of one caller's counter (a prom-client Counter's bound child). */
export interface CallerCounter {
  inc(): void;
}

/**
 * Counts the statements a process sends, by caller (see statementCaller), for
 * chat_cassandra_statements_total{caller}. A text's counter is looked up once and kept, so a statement
 * costs one map lookup and one increment. A batch counts each of its statements.
 */
export class StatementCounts {
  /** Texts are bounded when values go through bind markers (StatementTexts watches that); past this, one bucket. */
  static readonly LIMIT = 10_000;
  private readonly byText = new Map<string, CallerCounter>();
  private overflow?: CallerCounter;

  constructor(private readonly counterOf: (caller: string) => CallerCounter) {}

  count(text: string): void {
    let counter = this.byText.get(text);
    if (!counter) {
      if (this.byText.size >= StatementCounts.LIMIT) counter = this.overflow ??= this.counterOf('other');
      else this.byText.set(text, (counter = this.counterOf(statementCaller(text))));
    }
    counter.inc();
  }
}
