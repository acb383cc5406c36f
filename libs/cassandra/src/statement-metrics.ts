import type { MetricsService } from '#libs/platform';
import { StatementCounts } from './statement-counts.js';

/** chat_cassandra_statements_total{caller}: every statement sent, a batch's statements each counted. */
export function cassandraStatementCounts(metrics: MetricsService): StatementCounts {
  const counter = metrics.counter(
    'chat_cassandra_statements_total',
    'Cassandra statements sent, by caller (verb and table; a batch counts each statement)',
    ['caller'],
  );
  return new StatementCounts((caller) => counter.labels(caller));
}

/** chat_cassandra_requests_total: round trips to Cassandra (a batch is one). */
export function cassandraRequestCounter(metrics: MetricsService): () => void {
  const counter = metrics.counter(
    'chat_cassandra_requests_total',
    'Cassandra requests sent (round trips; a batch is one)',
  );
  return () => counter.inc();
}
