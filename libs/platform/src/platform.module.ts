import { type DynamicModule, Global, Module, type Type } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ProcessConfig } from '#libs/config';
import { systemClock } from './clock.js';
import type { HealthIndicator } from './health/health-indicator.js';
import { ReadinessService } from './health/readiness.service.js';
import { MetricsService } from './metrics.service.js';
import { CLOCK, HEALTH_INDICATORS, LOGGER, PROCESS_CONFIG } from './tokens.js';

export interface PlatformOptions {
  readonly service: string;
  readonly process: Readonly<ProcessConfig>;
  readonly logger: Logger;
  /** Providers (exported by global infrastructure modules) that /readyz checks. */
  readonly indicators: readonly Type<HealthIndicator>[];
}

/** What every process shares: logger, clock, metrics and readiness (served on the management port). */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        { provide: LOGGER, useValue: options.logger },
        { provide: CLOCK, useValue: systemClock },
        { provide: PROCESS_CONFIG, useValue: options.process },
        {
          provide: MetricsService,
          useFactory: () => {
            const metrics = new MetricsService();
            metrics.setDefaultLabels({ service: options.service, instance: options.process.INSTANCE_ID });
            return metrics;
          },
        },
        {
          provide: HEALTH_INDICATORS,
          useFactory: (...indicators: HealthIndicator[]) => indicators,
          inject: [...options.indicators],
        },
        ReadinessService,
      ],
      exports: [LOGGER, CLOCK, PROCESS_CONFIG, MetricsService, ReadinessService],
    };
  }
}
