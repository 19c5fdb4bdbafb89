export * from './close-codes.js';
export * from './codec.js';
export * from './credentials.js';
export * from './error-codes.js';
export * from './frames.js';
export * from './offset.js';
export * from './protocol.error.js';
