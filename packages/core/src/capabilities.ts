/**
 * What an accessor can do, as plain data. The conformance suite chooses its
 * cases from it, the transfer engine chooses fast paths from it, and the docs
 * render the capability matrix from it (OpenDAL's `Capability`).
 */

export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha256' | 'crc32' | 'crc32c';

export interface MultipartCapability {
  minPartSize: number;
  maxPartSize: number;
  maxParts: number;
}

export interface AccessorCapabilities {
  read: boolean;
  write: boolean;
  list: boolean;
  stat: boolean;
  /** createReadStream honours `start`/`end`. */
  rangeRead: boolean;
  /**
   * Several ranged reads of one file can run side by side, each a cheap
   * request (HTTP Range GET, SFTP reads at an offset): the engine downloads
   * large files in parallel streams. Not FTP, where a range cut short costs
   * an aborted data connection.
   */
  parallelRangeRead: boolean;
  /** `openRangeWriter()`: positioned writes into a temp file published atomically (multi-stream downloads). */
  rangeWrite: boolean;
  /**
   * How containers exist: 'real' (directories), 'marker' (a zero-byte `dir/`
   * object), 'implicit' (a container exists only while it has children).
   */
  containers: 'real' | 'marker' | 'implicit';
  /** An empty container can exist and be listed. */
  emptyContainers: boolean;
  removeContainer: boolean;
  /** `copy()` within this accessor without moving bytes through the client. */
  serverSideCopy: boolean;
  /** `getFilesystemPath()` returns a usable local path. */
  filesystemPath: boolean;
  /** What `getUrl()` returns: false if unsupported. */
  url: false | 'file' | 'presigned' | 'signed';
  presignRead: boolean;
  presignWrite: boolean;
  multipart: false | MultipartCapability;
  append: boolean;
  /** An interrupted write never leaves a partial object at the target. */
  atomicWrite: boolean;
  /** `write(..., {overwrite: false})` fails atomically when the target exists. */
  conditionalCreate: boolean;
  /** Interrupted uploads can resume from a checkpoint. */
  resume: boolean;
  /** Checksums `stat()` returns natively, without reading the data. */
  checksums: ChecksumAlgorithm[];
  /** `isSequence()` is implemented. */
  sequence: boolean;
  /** Resource identifiers map onto a filesystem tree: confinement cases apply. */
  pathConfinement: boolean;
  /** Symbolic links can exist under the root (escape cases apply). */
  symlinks: boolean;
  /** Longest file name component the backend accepts, in bytes. */
  maxNameLength: number;
}

/** Capabilities with everything off; accessors spread this and switch on what they do. */
export const NO_CAPABILITIES: AccessorCapabilities = Object.freeze({
  read: false,
  write: false,
  list: false,
  stat: false,
  rangeRead: false,
  parallelRangeRead: false,
  rangeWrite: false,
  containers: 'real',
  emptyContainers: false,
  removeContainer: false,
  serverSideCopy: false,
  filesystemPath: false,
  url: false,
  presignRead: false,
  presignWrite: false,
  multipart: false,
  append: false,
  atomicWrite: false,
  conditionalCreate: false,
  resume: false,
  checksums: [],
  sequence: false,
  pathConfinement: false,
  symlinks: false,
  maxNameLength: 255,
}) as AccessorCapabilities;

export function defineCapabilities(overrides: Partial<AccessorCapabilities>): AccessorCapabilities {
  return Object.freeze({ ...NO_CAPABILITIES, ...overrides });
}
