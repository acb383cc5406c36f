import { createLogger, loadConfigOrExit, runApp } from '#libs/platform';
import { projectorConfigSpec } from './projector.config.js';
import { ProjectorModule } from './projector.module.js';

const config = loadConfigOrExit(projectorConfigSpec);
const logger = createLogger('projector', config.process.LOG_LEVEL, config.process.INSTANCE_ID);
await runApp({
  service: 'projector',
  module: ProjectorModule.forRoot(config, logger),
  process: config.process,
  logger,
});
