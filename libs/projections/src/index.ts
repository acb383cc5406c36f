export * from './conversation-fan-out.js';
export * from './media-links.js';
export * from './conversation.projection.js';
export * from './group.projection.js';
export * from './group-receipts.js';
export * from './conversation-projection-at.js';
export * from './silent-effects.js';
