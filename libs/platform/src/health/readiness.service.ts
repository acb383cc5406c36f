import { Inject, Injectable } from '@nestjs/common';
import { HEALTH_INDICATORS } from '../tokens.js';
import type { DependencyStatus, HealthIndicator, ReadinessReport } from './health-indicator.js';

const CHECK_TIMEOUT_MS = 1500;

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

@Injectable()
export class ReadinessService {
  private draining = false;

  constructor(@Inject(HEALTH_INDICATORS) private readonly indicators: readonly HealthIndicator[]) {}

  /** Once shutdown begins the process reports not ready, so load balancers stop sending work. */
  markDraining(): void {
    this.draining = true;
  }

  async report(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      this.indicators.map(async (indicator): Promise<[string, DependencyStatus]> => {
        const started = performance.now();
        try {
          await withTimeout(indicator.check(), CHECK_TIMEOUT_MS);
          return [indicator.name, { status: 'up', latencyMs: Math.round(performance.now() - started) }];
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          return [
            indicator.name,
            { status: 'down', latencyMs: Math.round(performance.now() - started), error },
          ];
        }
      }),
    );
    const dependencies = Object.fromEntries(entries);
    const allUp = entries.every(([, s]) => s.status === 'up');
    return { status: allUp && !this.draining ? 'ready' : 'not_ready', dependencies };
  }
}
