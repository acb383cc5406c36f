/**
 * 64-bit time-sortable ids: 41 bits of milliseconds since EPOCH_MS, 10 bits of worker id, 12 bits of
 * sequence. Worker ids are leased (see the gateway's worker-id lease) so no two processes share one.
 * A clock that steps back never yields a smaller or repeated id: the generator keeps its own last
 * millisecond and moves it forward, borrowing from the future while the sequence overflows.
 */
export const SNOWFLAKE_EPOCH_MS = Date.UTC(2024, 0, 1);
export const MAX_WORKER_ID = 1023;
const SEQUENCE_BITS = 12n;
const WORKER_BITS = 10n;
const MAX_SEQUENCE = (1 << Number(SEQUENCE_BITS)) - 1;

export class SnowflakeGenerator {
  private lastMs = -1;
  private sequence = 0;

  constructor(
    readonly workerId: number,
    private readonly nowMs: () => number,
  ) {
    if (!Number.isInteger(workerId) || workerId < 0 || workerId > MAX_WORKER_ID) {
      throw new RangeError(`worker id must be an integer in 0..${MAX_WORKER_ID}, got ${workerId}`);
    }
  }

  next(): bigint {
    const now = this.nowMs() - SNOWFLAKE_EPOCH_MS;
    if (now > this.lastMs) {
      this.lastMs = now;
      this.sequence = 0;
    } else if (this.sequence < MAX_SEQUENCE) {
      this.sequence++; // same millisecond, or the clock stepped back: stay on our own timeline
    } else {
      this.lastMs++;
      this.sequence = 0;
    }
    return (
      (BigInt(this.lastMs) << (WORKER_BITS + SEQUENCE_BITS)) |
      (BigInt(this.workerId) << SEQUENCE_BITS) |
      BigInt(this.sequence)
    );
  }

  nextString(): string {
    return this.next().toString();
  }
}

/** The wall-clock time (ms since the Unix epoch) encoded in a snowflake id. */
export function snowflakeTime(id: bigint | string): number {
  return Number(BigInt(id) >> (WORKER_BITS + SEQUENCE_BITS)) + SNOWFLAKE_EPOCH_MS;
}

export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
