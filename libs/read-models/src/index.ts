export * from './entry-id.js';
export * from './inbox.store.js';
export * from './timeline.store.js';
export * from './conversation.store.js';
export * from './device.store.js';
export * from './receipt.store.js';
export * from './presence.store.js';
export * from './read-models.module.js';
