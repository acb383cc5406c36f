import 'reflect-metadata';
import type { Server as TlsServer } from 'node:tls';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  ConfigError,
  loadConfig,
  type ConfigSpec,
  type LoadedConfig,
  type ProcessConfig,
  type PublicHttpConfig,
} from '#libs/config';
import { startManagementServer } from './health/management-server.js';
import { ReadinessService } from './health/readiness.service.js';
import { PinoNestLogger } from './logger.js';
import { MetricsService } from './metrics.service.js';
import { readTlsPair, reloadTlsOnChange } from './tls-context.js';

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
  /**
   * The public API port (the gateway's). Without it the app serves only its management port. The app
   * registers the body parsers it accepts in `configure` (none are registered for it).
   */
  readonly http?: Readonly<PublicHttpConfig>;
  /** Hook before listen, e.g. to set the WebSocket adapter (must precede listen in NestJS 12). */
  readonly configure?: (app: INestApplication) => void;
}

async function servePublicApi(
  options: RunOptions,
  http: Readonly<PublicHttpConfig>,
): Promise<{ app: INestApplication; stopTls: () => void }> {
  const { logger } = options;
  const tls =
    http.TLS_CERT_FILE && http.TLS_KEY_FILE
      ? { certFile: http.TLS_CERT_FILE, keyFile: http.TLS_KEY_FILE }
      : undefined;
  let httpsOptions;
  try {
    httpsOptions = tls ? readTlsPair(tls) : undefined;
  } catch (err) {
    // Readable (config checked that) but unusable: not PEM, or the key is not the certificate's.
    process.stderr.write(`config: TLS_CERT_FILE/TLS_KEY_FILE do not load: ${String(err)}\n`);
    process.exit(78);
  }
  const app = await NestFactory.create(options.module as never, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    bodyParser: false,
    ...(httpsOptions ? { httpsOptions } : {}),
  });
  options.configure?.(app);
  await app.listen(http.HTTP_PORT, http.HTTP_HOST);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  logger.info({ url, tls: tls !== undefined }, `${options.service} listening`);
  const stopTls = tls
    ? reloadTlsOnChange(app.getHttpServer() as TlsServer, tls, logger)
    : (): void => undefined;
  return { app, stopTls };
}

/**
 * Boots a NestJS app, serves its public API (if it has one) and its management port, and shuts down
 * gracefully on SIGTERM/SIGINT: report not ready, stop taking work, drain in-flight work (module destroy
 * hooks), close connections, exit 0.
 */
export async function runApp(options: RunOptions): Promise<INestApplicationContext> {
  const { logger } = options;
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  let app: INestApplicationContext;
  let stopTls = (): void => undefined;
  if (options.http) ({ app, stopTls } = await servePublicApi(options, options.http));
  else {
    app = await NestFactory.createApplicationContext(options.module as never, {
      logger: new PinoNestLogger(logger),
      abortOnError: false,
    });
    await app.init();
  }
  const management = await startManagementServer({
    host: options.process.MANAGEMENT_HOST,
    port: options.process.MANAGEMENT_PORT,
    readiness: app.get(ReadinessService),
    metrics: app.get(MetricsService),
    logger,
  });
  logger.info(
    { managementUrl: management.url.replace('[::1]', '127.0.0.1') },
    `${options.service} management endpoints listening`,
  );

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
      stopTls();
      await app.close();
      await management.close();
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
