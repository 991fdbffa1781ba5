import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import type { Readable } from 'node:stream';
import type {
  OpenedRead,
  OpenReadOptions,
  ReadStreamOptions,
  ResourceStat,
  WriteResult,
} from './accessor.js';
import { BaseAccessor, sequencePattern } from './accessor.js';
import { defineCapabilities } from './capabilities.js';
import {
  AccessorOperationFailedError,
  AccessorPermissionDeniedError,
  AccessorResourceIdentifierError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  AccessorUnsupportedOperationError,
} from './errors.js';
import { type LocalFileThreads, smallFileThreads } from './local-file-threads.js';
import { openLocalRead } from './local-read.js';

/**
 * Read-only access to plain filesystem paths: the accessor of the origin
 * location, whose resource identifiers are the absolute paths components were
 * created from (ftrack's `DiskAccessor(prefix='')` on `ftrack.origin`).
 */
export class OriginAccessor extends BaseAccessor {
  readonly name = 'origin';
  readonly capabilities = defineCapabilities({
    read: true,
    list: true,
    stat: true,
    rangeRead: true,
    parallelRangeRead: true,
    containers: 'real',
    emptyContainers: true,
    filesystemPath: true,
    sequence: true,
  });
  private readonly threads: LocalFileThreads | undefined;

  /**
   * `smallFileThreads`: threads that read small files (at most 1 MiB) in one
   * job each (default 4 or STOWAGE_SMALL_FILE_THREADS, shared by the process; 0: the main thread's async reads).
   */
  constructor(options: { smallFileThreads?: number } = {}) {
    super();
    this.threads = smallFileThreads(options.smallFileThreads);
  }

  async list(resourceIdentifier: string): Promise<string[]> {
    const path = this.path(resourceIdentifier);
    try {
      return (await readdir(path)).map((entry) => join(path, entry));
    } catch (error) {
      throw mapError(error, 'list', resourceIdentifier);
    }
  }

  async stat(resourceIdentifier: string): Promise<ResourceStat> {
    try {
      const info = await stat(this.path(resourceIdentifier));
      return {
        size: info.isDirectory() ? 0 : info.size,
        isContainer: info.isDirectory(),
        modified: info.mtime,
      };
    } catch (error) {
      throw mapError(error, 'stat', resourceIdentifier);
    }
  }

  async createReadStream(resourceIdentifier: string, options: ReadStreamOptions = {}): Promise<Readable> {
    const path = this.path(resourceIdentifier);
    const info = await this.stat(resourceIdentifier);
    if (info.isContainer) throw new AccessorResourceInvalidError({ operation: 'read', resourceIdentifier });
    return createReadStream(path, {
      ...(options.start !== undefined ? { start: options.start } : {}),
      ...(options.end !== undefined ? { end: options.end } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      highWaterMark: 1024 * 1024,
    });
  }

  /** The file with its fstat (no separate stat); small files in one read (see openLocalRead). */
  async openRead(resourceIdentifier: string, options: OpenReadOptions = {}): Promise<OpenedRead> {
    return openLocalRead(
      this.path(resourceIdentifier),
      resourceIdentifier,
      (error) => mapError(error, 'read', resourceIdentifier),
      { ...options, threads: this.threads },
    );
  }

  override async getContainer(resourceIdentifier: string): Promise<string> {
    return join(this.path(resourceIdentifier), '..');
  }

  override getFilesystemPath(resourceIdentifier: string): string {
    return this.path(resourceIdentifier);
  }

  override async isSequence(resourceIdentifier: string): Promise<boolean> {
    const pattern = sequencePattern(this.path(resourceIdentifier).slice(1));
    if (!pattern) return false;
    try {
      const entries = await readdir(`/${pattern.container}`);
      return entries.some((entry) => pattern.matcher.test(entry));
    } catch {
      return false;
    }
  }

  write(resourceIdentifier: string): Promise<WriteResult> {
    throw new AccessorUnsupportedOperationError({ operation: 'write', resourceIdentifier });
  }

  remove(resourceIdentifier: string): Promise<void> {
    throw new AccessorUnsupportedOperationError({ operation: 'remove', resourceIdentifier });
  }

  makeContainer(resourceIdentifier: string): Promise<void> {
    throw new AccessorUnsupportedOperationError({ operation: 'makeContainer', resourceIdentifier });
  }

  removeContainer(resourceIdentifier: string): Promise<void> {
    throw new AccessorUnsupportedOperationError({ operation: 'removeContainer', resourceIdentifier });
  }

  private path(resourceIdentifier: string): string {
    if (!isAbsolute(resourceIdentifier) || resourceIdentifier.includes('\0')) {
      throw new AccessorResourceIdentifierError(resourceIdentifier, 'origin paths must be absolute');
    }
    return normalize(resourceIdentifier);
  }
}

function mapError(error: unknown, operation: string, resourceIdentifier: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const options = { operation, resourceIdentifier, error };
  if (code === 'ENOENT') return new AccessorResourceNotFoundError(options);
  if (code === 'ENOTDIR') return new AccessorResourceInvalidError(options);
  if (code === 'EACCES' || code === 'EPERM') return new AccessorPermissionDeniedError(options);
  return new AccessorOperationFailedError({
    ...options,
    transient: code === 'EMFILE' || code === 'EAGAIN' || code === 'EIO',
  });
}
