export * from './auth.js';
export * from './common.js';
export * from './envelope.js';
export * from './errors.js';
export * from './messages.js';
export * from './paths.js';
export * from './sessions.js';
export * from './socket.js';
