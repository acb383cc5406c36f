import type { Logger } from 'pino';

/**
 * Background work on an interval (sweepers): a run never overlaps the previous one, a failed run is
 * logged and the next one retries, and stop() waits for the run in flight so shutdown drains it.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly run: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.run()
        .catch((err: unknown) =>
          this.logger.error({ err, task: this.name }, `${this.name} failed; the next run retries`),
        )
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
