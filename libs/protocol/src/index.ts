export * from './frames.js';
export * from './errors.js';
export * from './ids.js';
export * from './e2e.js';
