export * from './redis.module.js';
export * from './user-keys.js';
export * from './session-scrubber.js';
