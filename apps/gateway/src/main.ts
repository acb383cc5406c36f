import { WsAdapter } from '@nestjs/platform-ws';
import { createLogger, loadConfigOrExit, runApp } from '#libs/platform';
import { gatewayConfigSpec } from './gateway.config.js';
import { GatewayModule } from './gateway.module.js';

const config = loadConfigOrExit(gatewayConfigSpec);
const logger = createLogger('gateway', config.process.LOG_LEVEL, config.process.INSTANCE_ID);
await runApp({
  service: 'gateway',
  module: GatewayModule.forRoot(config, logger),
  process: config.process,
  logger,
  // NestJS 12: the adapter must be set before listen, or it is silently ignored.
  configure: (app) => app.useWebSocketAdapter(new WsAdapter(app)),
});
