export * from './errors.js';
export * from './dedupe.js';
export * from './backoff.js';
export * from './http-client.js';
export * from './chat-client.js';
export type { UploadSlot } from '#libs/protocol';
export * from './typing-tracker.js';
