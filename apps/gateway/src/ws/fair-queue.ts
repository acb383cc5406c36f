/**
 * Per-key queues served round-robin under one concurrency cap. Each key (a socket) runs one task at a
 * time, in order; when the gateway is busy, a key with a long backlog gets one turn per round like a key
 * with one task, so a flooding socket delays nobody else by more than one of its tasks per round, and
 * the work handed to the shared Cassandra and NATS clients stays bounded.
 */
export class FairQueue<K> {
  private readonly queues = new Map<K, Array<() => Promise<void>>>();
  /** Keys with work waiting and nothing running, in the order they get their next turn. */
  private readonly ready: K[] = [];
  private readonly running = new Set<K>();
  private inFlight = 0;

  constructor(
    private readonly maxInFlight: number,
    private readonly maxQueuedPerKey: number,
  ) {}

  /** Queues a task; false (and nothing queued) when the key already has its maximum waiting. */
  push(key: K, task: () => Promise<void>): boolean {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = [];
      this.queues.set(key, queue);
    }
    if (queue.length >= this.maxQueuedPerKey) return false;
    queue.push(task);
    if (queue.length === 1 && !this.running.has(key)) this.ready.push(key);
    this.pump();
    return true;
  }

  /** Tasks the key has waiting (not counting the one running). */
  queued(key: K): number {
    return this.queues.get(key)?.length ?? 0;
  }

  /** Whether the key may queue another task. */
  hasRoom(key: K): boolean {
    return (this.queues.get(key)?.length ?? 0) < this.maxQueuedPerKey;
  }

  /** Forgets what a key still has waiting (its socket closed); a running task finishes. */
  drop(key: K): void {
    this.queues.delete(key);
    const at = this.ready.indexOf(key);
    if (at >= 0) this.ready.splice(at, 1);
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.ready.length > 0) {
      const key = this.ready.shift()!;
      const queue = this.queues.get(key);
      const task = queue?.shift();
      if (!task) continue;
      this.running.add(key);
      this.inFlight++;
      void task()
        .catch(() => undefined) // tasks answer their own errors; a throw here must not stop the queue
        .finally(() => {
          this.inFlight--;
          this.running.delete(key);
          if ((this.queues.get(key)?.length ?? 0) > 0) this.ready.push(key);
          else this.queues.delete(key);
          this.pump();
        });
    }
  }
}
