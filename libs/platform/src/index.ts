export * from './tokens.js';
export * from './clock.js';
export * from './logger.js';
export * from './metrics.service.js';
export * from './health/health-indicator.js';
export * from './health/readiness.service.js';
export * from './platform.module.js';
export * from './bootstrap.js';
