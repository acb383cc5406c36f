import type { CqlClient } from '#libs/cassandra';
import type { KeyedStatement } from '#libs/read-models';
import type { StatementSink } from '#libs/projections';

/** Rows per batch of one partition, and about as many bytes as Cassandra takes without a warning (5 KiB). */
const ROWS_PER_BATCH = 64;
const BYTES_PER_BATCH = 5_000;
/**
 * Rows that are alone in their partition (messages_by_id, client_messages) are sent in batches of this
 * many partitions: Cassandra warns above 10 partitions per unlogged batch, and below it the coordinator
 * still saves a round trip per row.
 */
const PARTITIONS_PER_BATCH = 10;
/** Statements queued at most before every partition is sent, full batch or not. */
const QUEUED_MAX = 40_000;
/** Batches in flight at once. */
const IN_FLIGHT = 48;

interface Queue {
  readonly statements: KeyedStatement[];
  bytes: number;
}

/**
 * Writes a rebuild's rows in unlogged batches by partition, many at once. Statements of one partition
 * are queued until a batch is full (or too many are queued, or on flush), so a conversation's timeline
 * rows go out together however the log interleaves conversations. Statements in one batch share a
 * timestamp: a caller that overwrites a cell writes the later value after a flush.
 */
export class BulkWriter implements StatementSink {
  private readonly queues = new Map<string, Queue>();
  private lone: KeyedStatement[] = [];
  private queued = 0;
  private inFlight = 0;
  /** Batches ready to go, sent as room frees up, with their number in sending order. */
  private readonly ready: Array<{ n: number; statements: KeyedStatement[] }> = [];
  /** Numbers of the batches not written yet (ready or in flight). */
  private readonly unwritten = new Set<number>();
  private numbered = 0;
  private readonly waiting: Array<() => void> = [];
  private failure: unknown;
  statements = 0;
  batches = 0;

  constructor(private readonly cql: CqlClient) {}

  write(statements: readonly KeyedStatement[]): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    for (const s of statements) {
      if (s.partition === undefined) {
        this.lone.push(s);
        if (this.lone.length >= PARTITIONS_PER_BATCH) this.send(this.lone.splice(0));
        continue;
      }
      let q = this.queues.get(s.partition);
      if (!q) this.queues.set(s.partition, (q = { statements: [], bytes: 0 }));
      q.statements.push(s);
      q.bytes += sizeOf(s);
      this.queued++;
      if (q.statements.length >= ROWS_PER_BATCH || q.bytes >= BYTES_PER_BATCH) {
        this.queues.delete(s.partition);
        this.queued -= q.statements.length;
        this.send(q.statements);
      }
    }
    if (this.queued > QUEUED_MAX) this.sendAll();
    return this.ready.length > IN_FLIGHT ? this.backlogDown() : undefined;
  }

  /**
   * Sends everything queued and waits until it is written: only what was queued before the call, so a
   * flush for one conversation does not wait for what other conversations write meanwhile.
   */
  async flush(): Promise<void> {
    this.sendAll();
    const upTo = this.numbered;
    while (!this.failure && [...this.unwritten].some((n) => n <= upTo)) await this.room();
    if (this.failure) throw this.failure;
  }

  private sendAll(): void {
    for (const q of this.queues.values()) this.send(q.statements);
    this.queues.clear();
    this.queued = 0;
    if (this.lone.length > 0) this.send(this.lone.splice(0));
  }

  /** Resolves once the batches waiting to be sent are few again: the reader waits for the writer. */
  private async backlogDown(): Promise<void> {
    while (this.ready.length > IN_FLIGHT && !this.failure) await this.room();
    if (this.failure) throw this.failure;
  }

  private room(): Promise<void> {
    return new Promise<void>((r) => this.waiting.push(r));
  }

  private send(statements: KeyedStatement[]): void {
    const n = ++this.numbered;
    this.unwritten.add(n);
    this.ready.push({ n, statements });
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < IN_FLIGHT && this.ready.length > 0) {
      const { n, statements } = this.ready.shift()!;
      this.start(n, statements);
    }
  }

  private start(n: number, statements: KeyedStatement[]): void {
    this.inFlight++;
    this.statements += statements.length;
    this.batches++;
    const done =
      statements.length === 1
        ? this.cql.execute(statements[0]!.query, statements[0]!.params, { prepare: true })
        : this.cql.batch(
            statements.map((s) => ({ query: s.query, params: s.params })),
            { prepare: true, logged: false },
          );
    done
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.inFlight--;
        this.unwritten.delete(n);
        this.pump();
        // Wake everyone: a flush waits for zero, writers for room.
        for (const w of this.waiting.splice(0)) w();
      });
  }
}

/** About how many bytes a statement adds to a batch (strings dominate). */
function sizeOf(s: KeyedStatement): number {
  let n = 16;
  for (const p of s.params) n += typeof p === 'string' ? p.length : 12;
  return n;
}
