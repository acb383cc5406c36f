import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { ToInt } from './transforms.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What every process has: how it listens for health/metrics and how it logs. */
export class ProcessConfig {
  @IsIn(['development', 'test', 'production'], { message: 'one of development, test, production' })
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IsIn(LOG_LEVELS, { message: `one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  @Matches(/^[\d.:a-fA-F]+$|^localhost$/, { message: 'an IP address or localhost to bind' })
  HTTP_HOST = '127.0.0.1';

  @ToInt()
  @IsInt({ message: 'an integer TCP port (0 picks a free one)' })
  @Min(0, { message: 'a port between 0 and 65535' })
  @Max(65535, { message: 'a port between 0 and 65535' })
  HTTP_PORT = 3000;

  @ToInt()
  @IsInt({ message: 'milliseconds to drain in-flight work on SIGTERM' })
  @Min(0, { message: 'a non-negative number of milliseconds' })
  SHUTDOWN_TIMEOUT_MS = 10_000;

  @IsString({ message: 'a process instance name used in logs and metrics' })
  INSTANCE_ID = 'local';
}
