export * from './managed-process.js';
export * from './ports.js';
export * from './proc-stat.js';
export * from './wait.js';
