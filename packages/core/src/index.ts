export * from './accessor.js';
export * from './capabilities.js';
export * from './component.js';
export * from './errors.js';
export * from './memory-accessor.js';
export * from './resource-identifier.js';
export * from './streams.js';
export * from './structure.js';
