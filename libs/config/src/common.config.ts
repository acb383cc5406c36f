import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { ToInt } from './transforms.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** An address a listening port binds to. */
export const BIND_ADDRESS = /^[\d.:a-fA-F]+$|^localhost$/;

/**
 * What every process has: how it logs, how long it drains, and its management port (/healthz,
 * /readyz, /metrics), which is kept off the public API port so that only the operator's network sees it.
 */
export class ProcessConfig {
  @IsIn(['development', 'test', 'production'], { message: 'one of development, test, production' })
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IsIn(LOG_LEVELS, { message: `one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  @Matches(BIND_ADDRESS, { message: 'an IP address or localhost to bind the management port to' })
  MANAGEMENT_HOST = '127.0.0.1';

  @ToInt()
  @IsInt({ message: 'an integer TCP port for /healthz, /readyz and /metrics (0 picks a free one)' })
  @Min(0, { message: 'a port between 0 and 65535' })
  @Max(65535, { message: 'a port between 0 and 65535' })
  MANAGEMENT_PORT = 3100;

  @ToInt()
  @IsInt({ message: 'milliseconds to drain in-flight work on SIGTERM' })
  @Min(0, { message: 'a non-negative number of milliseconds' })
  SHUTDOWN_TIMEOUT_MS = 10_000;

  @IsString({ message: 'a process instance name used in logs and metrics' })
  INSTANCE_ID = 'local';
}

/**
 * ProcessConfig with an app's own default management port, so the apps of one machine (the local
 * stack: gateway 3100, projector 3101, notifier 3102) do not collide when the port is not set.
 */
export function processConfigFor(defaults: { readonly managementPort: number }): typeof ProcessConfig {
  class AppProcessConfig extends ProcessConfig {
    override MANAGEMENT_PORT = defaults.managementPort;
  }
  return AppProcessConfig;
}
