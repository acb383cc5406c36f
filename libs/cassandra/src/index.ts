export * from './tokens.js';
export * from './cassandra-client.js';
export * from './migrator.js';
export * from './cassandra.health.js';
export * from './cassandra.module.js';
export * from './statement-texts.js';
export * from './ttl.js';
