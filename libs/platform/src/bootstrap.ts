import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  ConfigError,
  loadConfig,
  type ConfigSpec,
  type LoadedConfig,
  type ProcessConfig,
} from '#libs/config';
import { ReadinessService } from './health/readiness.service.js';
import { PinoNestLogger } from './logger.js';

/** Loads and validates config, or stops the process with one line per bad variable. */
export function loadConfigOrExit<S extends ConfigSpec>(spec: S): LoadedConfig<S> {
  try {
    return loadConfig(spec);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.problems) process.stderr.write(`${line}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

export interface RunOptions {
  readonly service: string;
  readonly module: object;
  readonly process: Readonly<ProcessConfig>;
  readonly logger: Logger;
  /** Hook before listen, e.g. to set the WebSocket adapter (must precede listen in NestJS 12). */
  readonly configure?: (app: INestApplication) => void;
}

/**
 * Boots a NestJS app, serves HTTP, and shuts down gracefully on SIGTERM/SIGINT: report not ready, stop
 * taking work, drain in-flight work (module destroy hooks), close connections, exit 0.
 */
export async function runApp(options: RunOptions): Promise<INestApplication> {
  const { logger } = options;
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  const app = await NestFactory.create(options.module as never, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  options.configure?.(app);
  await app.listen(options.process.HTTP_PORT, options.process.HTTP_HOST);
  const url = await app.getUrl();
  logger.info({ url: url.replace('[::1]', '127.0.0.1') }, `${options.service} listening`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${options.service} shutting down`);
    app.get(ReadinessService).markDraining();
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: options.process.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
      process.exit(1);
    }, options.process.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    try {
      await app.close();
      logger.info(`${options.service} stopped`);
      logger.flush();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', (s) => void stop(s));
  process.once('SIGINT', (s) => void stop(s));
  return app;
}
