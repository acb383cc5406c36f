import type { NestExpressApplication, NestExpressBodyParserOptionsFor } from '@nestjs/platform-express';
import { createLogger, loadConfigOrExit, runApp } from '#libs/platform';
import { gatewayConfigSpec } from './gateway.config.js';
import { GatewayModule } from './gateway.module.js';
import { refuseDeepJson } from './http/json-depth.js';
import { serveWebClient } from './http/web-client.js';
import { ChatWsAdapter } from './ws/chat-ws-adapter.js';

const config = loadConfigOrExit(gatewayConfigSpec);
const logger = createLogger('gateway', config.process.LOG_LEVEL, config.process.INSTANCE_ID);
await runApp({
  service: 'gateway',
  module: GatewayModule.forRoot(config, logger),
  process: config.process,
  http: config.http,
  logger,
  configure: (app) => {
    // The API takes JSON bodies only, and none nested deeper than the protocol's limit. Nest's type
    // leaves out `verify` because its rawBody option takes it; without rawBody it is passed through.
    const json = { verify: refuseDeepJson } as NestExpressBodyParserOptionsFor<'json'>;
    (app as NestExpressApplication).useBodyParser('json', json);
    // NestJS 12: the adapter must be set before listen, or it is silently ignored.
    app.useWebSocketAdapter(new ChatWsAdapter(app, logger));
    if (serveWebClient(app)) logger.info('web client served at /');
  },
});
