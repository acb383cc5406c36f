import type { CqlClient } from '#libs/cassandra';
import { DependencyUnavailableError } from '#libs/platform';

/**
 * A write of a partition whose lease this projector may have lost. It counts as a dependency being
 * unavailable, so the event is never parked for it: it stays unacknowledged for the lease's next holder.
 */
export class LeaseFencedError extends DependencyUnavailableError {
  constructor(partition: number, what: string) {
    super(`partition ${partition} is fenced (its lease may be another projector's now): ${what} refused`);
    this.name = 'LeaseFencedError';
  }
}

/**
 * One tenure of a partition's lease in this process. It is closed when the lease is fenced (not renewed
 * in time, or taken by another): from then on the partition's projection can neither write nor publish,
 * so work still in flight (a handler waiting out a NATS timeout, say) cannot write after another
 * projector started on the partition. A clean release drains instead: it still holds the lease.
 */
export class PartitionFence {
  private closed = false;

  constructor(readonly partition: number) {}

  close(): void {
    this.closed = true;
  }

  assertOpen(what: string): void {
    if (this.closed) throw new LeaseFencedError(this.partition, what);
  }

  /** The client whose statements (execute, batch) fail once the fence is closed; reads by stream or page go on. */
  guard(cql: CqlClient): CqlClient {
    const refuse = (what: string): Promise<never> =>
      Promise.reject(new LeaseFencedError(this.partition, `a Cassandra ${what}`));
    // The driver's overloads (promise or callback) pass through as they are; only the promise form is used.
    type Call = (...args: unknown[]) => unknown;
    const execute: Call = (...args) =>
      this.closed ? refuse('statement') : (cql.execute as Call).apply(cql, args);
    const batch: Call = (...args) => (this.closed ? refuse('batch') : (cql.batch as Call).apply(cql, args));
    return new Proxy(cql, {
      get(target, prop) {
        if (prop === 'execute') return execute;
        if (prop === 'batch') return batch;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}
