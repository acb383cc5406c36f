/**
 * Entries devices acknowledged lately (from the gateways' acked notices), so a device that acknowledged
 * within the grace period is skipped without asking Redis or Cassandra. Two generations of sets, swapped
 * when the newer one is a window old: memory bounded by what arrives in two windows, no timer.
 */
export class RecentAcks {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt: number;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.rotatedAt = now();
  }

  record(deviceId: string, entryId: string): void {
    this.rotate();
    this.current.add(`${deviceId}|${entryId}`);
  }

  has(deviceId: string, entryId: string): boolean {
    this.rotate();
    const key = `${deviceId}|${entryId}`;
    return this.current.has(key) || this.previous.has(key);
  }

  private rotate(): void {
    const now = this.now();
    if (now - this.rotatedAt < this.windowMs) return;
    this.previous = now - this.rotatedAt < 2 * this.windowMs ? this.current : new Set();
    this.current = new Set();
    this.rotatedAt = now;
  }
}
