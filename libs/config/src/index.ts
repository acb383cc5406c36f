export * from './load-config.js';
export * from './transforms.js';
export * from './common.config.js';
export * from './nats.config.js';
export * from './cassandra.config.js';
export * from './redis.config.js';
export * from './s3.config.js';
export * from './retention.config.js';
