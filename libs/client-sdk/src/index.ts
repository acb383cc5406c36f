export * from './errors.js';
export * from './dedupe.js';
export * from './backoff.js';
export * from './http-client.js';
export * from './chat-client.js';
export type { UploadSlot } from '#libs/protocol';
export * from './typing-tracker.js';
export * from './e2e/e2e-provider.js';
export * from './e2e/e2e-session.js';
