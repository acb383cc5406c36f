/**
 * Runs tasks concurrently across keys and one after another within a key, with at most `limit` queued
 * or running at once: a rebuild applies many conversations in parallel, each in stream order.
 */
export class KeyedLanes {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly waiting: Array<() => void> = [];
  private pending = 0;
  private failure: unknown;

  constructor(private readonly limit: number) {}

  /**
   * Queues `task` behind the key's earlier tasks, and behind those queued so far under `after` if
   * given (without holding that key's later tasks back); resolves once there is room for another.
   */
  async run(key: string, task: () => Promise<void>, after?: string): Promise<void> {
    while (this.pending >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    if (this.failure) throw this.failure;
    this.pending++;
    const tail = Promise.all([this.tails.get(key), after === undefined ? undefined : this.tails.get(after)])
      .then(() => (this.failure ? undefined : task()))
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        if (this.tails.get(key) === tail) this.tails.delete(key);
        this.pending--;
        this.waiting.shift()?.();
      });
    this.tails.set(key, tail);
  }

  /** Waits for everything queued; throws the first failure. */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
    if (this.failure) throw this.failure;
  }
}
