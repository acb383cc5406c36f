export * from './aggregate.js';
export * from './aggregate-state-cache.js';
export * from './aggregate-command-handler.js';
export * from './aggregate-handlers.js';
export * from './conversation.aggregate.js';
export * from './user.aggregate.js';
export * from './membership-feed.js';
