export * from './subjects.js';
export * from './headers.js';
export * from './envelope.js';
export * from './event-definition.js';
export * from './event-errors.js';
export * from './codec.js';
export * from './catalogue/index.js';
