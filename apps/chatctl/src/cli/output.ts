/**
 * Buffered JSON lines on stdout: one write per ~64 KB instead of one per event, waiting for 'drain' so
 * a slow reader (a pipe into jq) throttles the replay instead of filling memory.
 */
export class JsonLinesWriter {
  private chunk: string[] = [];
  private size = 0;

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  /** Returns a promise only when it wrote a chunk out: the common case costs no await. */
  write(value: unknown): Promise<void> | undefined {
    const line = `${JSON.stringify(value)}\n`;
    this.chunk.push(line);
    this.size += line.length;
    return this.size >= 65_536 ? this.flush() : undefined;
  }

  async flush(): Promise<void> {
    if (this.chunk.length === 0) return;
    const data = this.chunk.join('');
    this.chunk = [];
    this.size = 0;
    if (!this.out.write(data)) await new Promise<void>((r) => this.out.once('drain', () => r()));
  }
}

/** Progress on stderr about once a second: count, rate and, when the total is known, an ETA. */
export class Progress {
  private readonly started = Date.now();
  private lastReport = Date.now();
  count = 0;

  constructor(
    private readonly label: string,
    private total?: number,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  setTotal(total: number): void {
    this.total = total;
  }

  tick(n = 1): void {
    this.count += n;
    const now = Date.now();
    if (now - this.lastReport >= 1000) {
      this.lastReport = now;
      this.err.write(`${this.label}: ${this.line(now)}\n`);
    }
  }

  rate(now = Date.now()): number {
    return Math.round(this.count / Math.max((now - this.started) / 1000, 0.001));
  }

  private line(now: number): string {
    const rate = this.rate(now);
    let s = `${this.count} events, ${rate} events/s`;
    if (this.total !== undefined && this.total > 0) {
      const pct = Math.min(100, (100 * this.count) / this.total).toFixed(1);
      const eta = rate > 0 ? Math.max(0, Math.round((this.total - this.count) / rate)) : undefined;
      s += `, ${pct}% of ${this.total}${eta !== undefined ? `, ETA ${eta}s` : ''}`;
    }
    return s;
  }

  done(extra = ''): void {
    const secs = ((Date.now() - this.started) / 1000).toFixed(2);
    this.err.write(
      `${this.label}: done, ${this.count} events in ${secs}s (${this.rate()} events/s)${extra}\n`,
    );
  }
}
