import { createLogger, loadConfigOrExit, runApp } from '#libs/platform';
import { notifierConfigSpec } from './notifier.config.js';
import { NotifierModule } from './notifier.module.js';

const config = loadConfigOrExit(notifierConfigSpec);
const logger = createLogger('notifier', config.process.LOG_LEVEL, config.process.INSTANCE_ID);
await runApp({
  service: 'notifier',
  module: NotifierModule.forRoot(config, logger),
  process: config.process,
  logger,
});
