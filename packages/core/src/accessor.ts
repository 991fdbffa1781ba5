import type { Readable } from 'node:stream';
import type { AccessorCapabilities } from './capabilities.js';
import type { ResumeState } from './checkpoint.js';
import {
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  AccessorUnsupportedOperationError,
} from './errors.js';
import { baseName, parentResourceIdentifier, splitResourceIdentifier } from './resource-identifier.js';
import type { Checksums, ExpectedChecksum, PrefixHashes, WriteSource } from './streams.js';

export interface ReadStreamOptions {
  /** First byte to read (inclusive). */
  start?: number;
  /** Last byte to read (inclusive), as fs.createReadStream. */
  end?: number;
  signal?: AbortSignal;
}

export interface WriteOptions {
  /** Expected size in bytes: a different count fails the write and leaves nothing. */
  size?: number;
  /** Expected checksum of the bytes: a mismatch fails the write and leaves nothing. */
  checksum?: ExpectedChecksum;
  /** Also compute these checksums while writing and return them. */
  checksums?: ExpectedChecksum['algorithm'][];
  /** Replace an existing resource (default true, as ftrack's accessors). */
  overwrite?: boolean;
  signal?: AbortSignal;
  /** Called with the number of bytes written so far (counting a resumed write's offset). */
  onProgress?: (bytes: number) => void;
  /**
   * A resumable write (capabilities.resume): the accessor saves its progress
   * through `save`, and on failure leaves its partial upload in place for a
   * later resume or `discardResume` instead of removing it.
   */
  resume?: WriteResume;
}

export interface WriteResume {
  /** What an earlier, interrupted write saved; absent for a new resumable write. */
  state?: ResumeState;
  /** Bytes [0, offset) are at the target already (see `resumeOffset`); the source starts here. */
  offset: number;
  /** Hashes fed with bytes [0, offset) by the caller; the write continues them (MeasuringStream). */
  hashes?: PrefixHashes;
  /** Persist progress so another process can continue; awaited. */
  save(state: ResumeState): Promise<void>;
}

export interface ResumeOffsetOptions {
  /** Size of the whole file being written. */
  size: number;
  signal?: AbortSignal;
}

export interface WriteResult {
  size: number;
  checksums: Checksums;
  /**
   * Set by the transfer engine when it adopted an identical target that a
   * lost-reply attempt may have published: possibly not this call's file, so
   * a rollback leaves it alone.
   */
  adopted?: boolean;
  /** Bytes that were already at the target when this write resumed. */
  resumedFrom?: number;
  /**
   * Native checksums the target now stores for the resource, as the write
   * itself set or received them (Azure: the Content-MD5 it sent), so the
   * engine's after-write comparison needs no stat.
   */
  stored?: Checksums;
}

export interface ResourceStat {
  size: number;
  isContainer: boolean;
  modified?: Date;
  etag?: string;
  /** Native checksums the backend keeps, hex. */
  checksums?: Checksums;
}

/** A child of a container with what a listing can tell without a stat per entry. */
export interface ListEntry {
  resourceIdentifier: string;
  size: number;
  isContainer: boolean;
}

export interface GetUrlOptions {
  /** Seconds until a signed URL expires. */
  expiresIn?: number;
}

export interface CopyOptions {
  overwrite?: boolean;
  signal?: AbortSignal;
  /** Compute these checksums of the copy where the accessor can (e.g. reading a local copy back). */
  checksums?: ExpectedChecksum['algorithm'][];
  /**
   * Sources of at least this many bytes would be resumable on the transfer
   * engine's own path (checkpoints on, see FileTransferOptions.checkpoints):
   * a fast path that could not continue an interrupted copy declines them
   * (returns undefined) rather than lose that. Absent: nothing would resume.
   */
  resumableFrom?: number;
  /**
   * The source's size, when the caller has it (the transfer engine does): a
   * fast path may decline by size without a request of its own.
   */
  sourceSize?: number;
}

export interface OpenReadOptions {
  signal?: AbortSignal;
  /**
   * false: the caller checks the bytes against `stat.checksums` itself, so
   * a stream that would hash them to check them need not (default true). A
   * transfer hands the check to the target's write, which hashes anyway and
   * may do it off the main thread (a small disk file: on a local-file thread).
   */
  verify?: boolean;
  /**
   * Read the file whole in the opening request only up to this many bytes
   * (where the accessor reads small files whole: local files, 1 MiB); a
   * larger one gets a stream. The transfer engine lowers it when a larger
   * source goes to the target's fast path anyway.
   */
  wholeBytes?: number;
}

export interface OpenedRead {
  /**
   * The bytes. Destroy it when not reading it: it may hold a connection or a
   * descriptor (a large local file is opened by the first read, and that
   * open fails, transient, when the file is no longer the one `stat` saw).
   */
  stream: Readable;
  stat: ResourceStat;
  /** The stream itself fails when the bytes do not match `stat.checksums` (no need to hash them again). */
  verified?: boolean;
  /**
   * The whole content, when the read already holds it in memory (a small
   * local file read in one go): the bytes `stream` yields. A copy may hand
   * them to the target's write as they are, which then needs no stream.
   */
  data?: Uint8Array;
}

export interface RangeWriterOptions {
  /** Size of the whole file. */
  size: number;
  /** Replace an existing resource (default true, as `write`). */
  overwrite?: boolean;
  /** Continue an interrupted range write: bytes [0, offset) of the saved state's temp file are kept. */
  resume?: { state: ResumeState; offset: number };
  /**
   * Checksums `commit` will be asked for: a writer may compute them while
   * ranges arrive (see `contiguous`) instead of reading the whole file back.
   */
  checksums?: ExpectedChecksum['algorithm'][];
  signal?: AbortSignal;
}

/**
 * Positioned writes into a hidden temp file, published atomically by
 * `commit` (capabilities.rangeWrite): what a multi-stream download writes
 * its ranges into (rclone's OpenWriterAt).
 */
export interface RangeWriter {
  /** Write `data` at byte `position`. Calls for disjoint ranges may run at once. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Optional: write `chunks` back to back from `position` (one writev, no copy into one buffer). */
  writeChunks?(chunks: Uint8Array[], position: number): Promise<void>;
  /** Make bytes [0, offset) durable; returns the resume state that names them. */
  checkpoint(offset: number): Promise<ResumeState>;
  /**
   * Bytes [0, offset) are all written (called as the finished prefix grows):
   * a writer may hash them now, overlapping the rest of the download.
   */
  contiguous?(offset: number): void;
  /**
   * Check the size, compute `checksums` (and compare `checksum`) by reading
   * the file back, make it durable, then publish it. Nothing is published
   * when a check fails.
   */
  commit(options?: {
    checksums?: ExpectedChecksum['algorithm'][];
    checksum?: ExpectedChecksum;
    signal?: AbortSignal;
  }): Promise<WriteResult>;
  /** Give up: close, and remove the temp file unless `keep` (kept for a resume). Safe to call twice. */
  abort(keep?: boolean): Promise<void>;
}

/**
 * How bytes are reached (ftrack's `Accessor`), async and streaming.
 * Resource identifiers are relative paths under the accessor's root (see
 * resource-identifier.ts); the root is ''.
 */
export interface Accessor {
  /** Short backend name, e.g. 'disk', 'sftp', 's3'. */
  readonly name: string;
  readonly capabilities: AccessorCapabilities;

  /** Resource identifiers of the container's children. */
  list(resourceIdentifier: string): Promise<string[]>;
  /**
   * Children with sizes, from one listing where the backend returns them
   * (SFTP readdir, S3 ListObjectsV2); used by verifyComponent.
   */
  listStats?(resourceIdentifier: string): Promise<ListEntry[]>;
  exists(resourceIdentifier: string): Promise<boolean>;
  isFile(resourceIdentifier: string): Promise<boolean>;
  isContainer(resourceIdentifier: string): Promise<boolean>;
  /** True when `resourceIdentifier` is a `%0Nd` pattern and any frame exists. */
  isSequence(resourceIdentifier: string): Promise<boolean>;
  stat(resourceIdentifier: string): Promise<ResourceStat>;

  createReadStream(resourceIdentifier: string, options?: ReadStreamOptions): Promise<Readable>;
  /** Stream `source` to the resource; atomic where `capabilities.atomicWrite`. */
  write(resourceIdentifier: string, source: WriteSource, options?: WriteOptions): Promise<WriteResult>;
  /** Remove a file (not a container). */
  remove(resourceIdentifier: string): Promise<void>;

  makeContainer(resourceIdentifier: string, recursive?: boolean): Promise<void>;
  removeContainer(resourceIdentifier: string, options?: { recursive?: boolean }): Promise<void>;
  /** The container of a resource; throws AccessorParentResourceNotFoundError at the root. */
  getContainer(resourceIdentifier: string): Promise<string>;

  /** Local filesystem path; throws AccessorUnsupportedOperationError where there is none. */
  getFilesystemPath(resourceIdentifier: string): string;
  getUrl(resourceIdentifier: string, options?: GetUrlOptions): Promise<string>;

  /** Server-side copy within this accessor (capabilities.serverSideCopy). */
  copy?(source: string, target: string, options?: CopyOptions): Promise<WriteResult>;

  /**
   * Fast path from another accessor (e.g. disk-to-disk copyFile, or a
   * presigned-URL hand-off). Returns undefined when it does not apply, and the
   * transfer engine then streams.
   */
  copyFrom?(
    source: Accessor,
    sourceResourceIdentifier: string,
    target: string,
    options?: CopyOptions,
  ): Promise<WriteResult | undefined>;

  /**
   * How many leading bytes of an interrupted resumable write are safely at the
   * target, from its saved state; undefined when it cannot be continued (the
   * upload expired or vanished): the caller then discards it and starts over.
   */
  resumeOffset?(
    resourceIdentifier: string,
    state: ResumeState,
    options: ResumeOffsetOptions,
  ): Promise<number | undefined>;
  /** Remove what an interrupted resumable write left behind (temp file, multipart upload, blocks). */
  discardResume?(resourceIdentifier: string, state: ResumeState): Promise<void>;

  /**
   * A whole-file read with what its response tells about the file: one
   * request where `stat` + `createReadStream` take two (HTTP GET headers,
   * SFTP fstat of the open handle). The transfer engine uses it when no fast
   * path applies.
   */
  openRead?(resourceIdentifier: string, options?: OpenReadOptions): Promise<OpenedRead>;
  /**
   * Whether `copyFrom` may have a fast path from `source` (false: it would
   * return undefined), answered without a request.
   */
  copiesFrom?(source: Accessor): boolean;
  /**
   * Smallest source `copyFrom` takes (smaller ones it declines). The engine
   * then opens the source first, since that one request tells the size and
   * holds a small file whole, rather than a stat before a fast path that
   * declines. Absent: any size.
   */
  readonly copyFromMinBytes?: number;

  /** A writer for ranges arriving out of order (capabilities.rangeWrite). */
  openRangeWriter?(resourceIdentifier: string, options: RangeWriterOptions): Promise<RangeWriter>;

  /** Release connections; the accessor must not be used afterwards. */
  close(): Promise<void>;
}

const SEQUENCE_PLACEHOLDER = /%(0?)(\d*)d/;

/** Split a `file.%04d.exr` identifier into a frame matcher, or null if it is no pattern. */
export function sequencePattern(resourceIdentifier: string): { container: string; matcher: RegExp } | null {
  const name = baseName(resourceIdentifier);
  const match = SEQUENCE_PLACEHOLDER.exec(name);
  if (!match) return null;
  const padding = Number(match[2] || 0);
  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const head = escapeRegExp(name.slice(0, match.index));
  const tail = escapeRegExp(name.slice(match.index + match[0].length));
  const digits = padding > 0 ? `-?\\d{${padding},}` : '-?\\d+';
  return {
    container: parentResourceIdentifier(resourceIdentifier),
    matcher: new RegExp(`^${head}${digits}${tail}$`),
  };
}

/**
 * Shared behaviour: everything that can be derived from `stat` and `list`.
 * Backends override what they can do better.
 */
export abstract class BaseAccessor implements Accessor {
  abstract readonly name: string;
  abstract readonly capabilities: AccessorCapabilities;

  abstract list(resourceIdentifier: string): Promise<string[]>;
  abstract stat(resourceIdentifier: string): Promise<ResourceStat>;
  abstract createReadStream(resourceIdentifier: string, options?: ReadStreamOptions): Promise<Readable>;
  abstract write(
    resourceIdentifier: string,
    source: WriteSource,
    options?: WriteOptions,
  ): Promise<WriteResult>;
  abstract remove(resourceIdentifier: string): Promise<void>;
  abstract makeContainer(resourceIdentifier: string, recursive?: boolean): Promise<void>;
  abstract removeContainer(resourceIdentifier: string, options?: { recursive?: boolean }): Promise<void>;

  async exists(resourceIdentifier: string): Promise<boolean> {
    try {
      await this.stat(resourceIdentifier);
      return true;
    } catch (error) {
      if (error instanceof AccessorResourceNotFoundError) return false;
      throw error;
    }
  }

  async isFile(resourceIdentifier: string): Promise<boolean> {
    try {
      return !(await this.stat(resourceIdentifier)).isContainer;
    } catch (error) {
      if (error instanceof AccessorResourceNotFoundError) return false;
      throw error;
    }
  }

  async isContainer(resourceIdentifier: string): Promise<boolean> {
    try {
      return (await this.stat(resourceIdentifier)).isContainer;
    } catch (error) {
      if (error instanceof AccessorResourceNotFoundError) return false;
      throw error;
    }
  }

  async isSequence(resourceIdentifier: string): Promise<boolean> {
    const pattern = sequencePattern(resourceIdentifier);
    if (!pattern) return false;
    let children: string[];
    try {
      children = await this.list(pattern.container);
    } catch (error) {
      if (error instanceof AccessorResourceNotFoundError || error instanceof AccessorResourceInvalidError)
        return false;
      throw error;
    }
    return children.some((child) => pattern.matcher.test(baseName(child)));
  }

  async getContainer(resourceIdentifier: string): Promise<string> {
    return parentResourceIdentifier(resourceIdentifier);
  }

  getFilesystemPath(resourceIdentifier: string): string {
    throw new AccessorUnsupportedOperationError({ operation: 'getFilesystemPath', resourceIdentifier });
  }

  async getUrl(resourceIdentifier: string, _options?: GetUrlOptions): Promise<string> {
    throw new AccessorUnsupportedOperationError({ operation: 'getUrl', resourceIdentifier });
  }

  async close(): Promise<void> {}

  /** Validate a resource identifier and return its segments. */
  protected segments(resourceIdentifier: string): string[] {
    return splitResourceIdentifier(resourceIdentifier);
  }
}
