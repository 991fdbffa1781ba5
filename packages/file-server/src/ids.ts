/**
 * Component ids as the server location names files. ftrack's server location
 * uses the component's uuid; Stowage also accepts a relative path of such
 * names (`ab/cd/<uuid>` from IdStructure, `shots/sh010/plate.0001.exr`), so a
 * structure can shard or group files and a client can list them.
 *
 * Each '/'-separated segment is 1 to 255 UTF-8 bytes without control
 * characters or backslashes, and is not '.', '..' or the name of a storage
 * temporary file; the whole id is at most 1,024 characters. No leading or
 * trailing '/', no empty segment: an id can never leave the storage root.
 */
export const MAX_ID_LENGTH = 1024;
const MAX_SEGMENT_BYTES = 255;
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Temporary names of the storage's atomic writes (DiskAccessor, SFTP, FTP). */
const TEMP_NAME = /^\..*\.stowage-[0-9a-f]{12}\.tmp$/;

/** @deprecated kept for callers of the flat form: one uuid-like segment. */
export const COMPONENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function isValidComponentId(id: unknown): id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) return false;
  if (CONTROL.test(id) || id.includes('\\')) return false;
  return id.split('/').every(isValidSegment);
}

function isValidSegment(segment: string): boolean {
  return (
    segment !== '' &&
    segment !== '.' &&
    segment !== '..' &&
    Buffer.byteLength(segment) <= MAX_SEGMENT_BYTES &&
    !TEMP_NAME.test(segment)
  );
}

/** A container prefix for listing: '' (the root) or a valid id. */
export function isValidPrefix(prefix: unknown): prefix is string {
  return prefix === '' || isValidComponentId(prefix);
}

/**
 * Where a component is stored inside the accessor: at its id, which the
 * accessor confines to its root (the id was validated above as well).
 */
export function storagePath(id: string): string {
  if (!isValidComponentId(id)) throw new TypeError('Invalid component id.');
  return id;
}

/** The folder of `storagePath(id)` ('' at the top). */
export function storageContainer(id: string): string {
  const path = storagePath(id);
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}
