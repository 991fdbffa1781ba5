export { DiskAccessor, type DiskAccessorOptions } from './disk-accessor.js';
export { mapFsError } from './map-error.js';
