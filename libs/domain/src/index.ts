export * from './errors.js';
export * from './ids/snowflake.js';
export * from './user/user.state.js';
export * from './user/user.decider.js';
export * from './conversation/conversation.state.js';
export * from './conversation/conversation.decider.js';
export * from './presence/presence-visibility.js';
