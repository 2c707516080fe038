export * from './envelope.js';
export * from './error-codes.js';
export * from './limits.js';
export * from './media-state.js';
export * from './version.js';
export * from './stream-framing.js';
export * from './endpoints.js';
export * from './chat.js';
