import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import {
  copyFile,
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
} from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import {
  type Accessor,
  AccessorOperationFailedError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  AccessorResourceInvalidError,
  assertIntegrity,
  BaseAccessor,
  CheckpointSaver,
  type CopyOptions,
  defineCapabilities,
  isHashSupported,
  type ListEntry,
  type LocalFileThreads,
  MeasuringStream,
  type OpenedRead,
  type OpenReadOptions,
  OperationAbortedError,
  openLocalRead,
  parseTempFileResumeState,
  type RangeWriter,
  type RangeWriterOptions,
  type ReadStreamOptions,
  type ResourceStat,
  type ResumeState,
  requestedAlgorithms,
  smallFileThreads,
  toReadable,
  type WriteOptions,
  type WriteResult,
  type WriteSource,
} from '@stowage/core';
import { GatheringFileWriter } from './gathering-file-writer.js';
import { mapFsError } from './map-error.js';
import { DiskRangeWriter } from './range-writer.js';

export interface DiskAccessorOptions {
  /** Root folder; every resource identifier resolves inside it. */
  prefix: string;
  /** fsync each file before it is published (default true): a crash never leaves a torn file. */
  fsync?: boolean;
  /**
   * Threads that publish small writes (at most SMALL_FILE_BYTES, size known)
   * and read small files in one synchronous job each, instead of seven (four)
   * thread-pool round trips on the main thread (default 4, shared by the
   * process, or STOWAGE_SMALL_FILE_THREADS; 0: off).
   */
  smallFileThreads?: number;
}

/** Writes of at most this size (one transfer chunk), with a known size, take the small-file threads. */
export const SMALL_FILE_BYTES = 1024 * 1024;

/** Writes of this size or more check for an existing target before any byte moves. */
const EARLY_EXISTS_CHECK_BYTES = 4 * 1024 * 1024;

/** Resumable writes save their progress this often. */
const CHECKPOINT_BYTES = 8 * 1024 * 1024;

/**
 * A pass-through that reports progress to a background CheckpointSaver
 * without holding the stream up (an awaited fdatasync every few MiB made the
 * writes synchronous: a 1 GiB FTP download sat idle 70 % of the time), and
 * waits for the last save before the stream ends, while the file is open.
 */
function checkpointing(saver: CheckpointSaver, written: () => number): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      saver.progress(written());
      callback(null, chunk);
    },
    flush(callback) {
      saver.flush().then(() => callback(), callback);
    },
  });
}

/** Our in-progress files: hidden, recognisable, never listed. */
function tempPathFor(target: string): string {
  // A short hint of the name keeps temp names legal when the target's name is at the length limit.
  const name = basename(target).slice(0, 32);
  return join(dirname(target), `.${name}.stowage-${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * The whole of a small source (its `size` known) in one buffer of its own,
 * which can move to another thread. More bytes than `size` stop the source
 * at once: the write would fail its size check anyway, and memory stays
 * bounded by what was announced.
 */
async function gather(
  resourceIdentifier: string,
  source: WriteSource,
  options: WriteOptions & { size: number },
): Promise<Uint8Array<ArrayBuffer>> {
  const { size, signal, onProgress } = options;
  const readable = toReadable(source);
  const gathering = (async () => {
    const data = new Uint8Array(new ArrayBuffer(size));
    let filled = 0;
    try {
      for await (const part of readable as AsyncIterable<Uint8Array | string>) {
        // A source with an encoding set yields strings: their bytes are what gets written.
        const chunk = typeof part === 'string' ? Buffer.from(part) : part;
        if (filled + chunk.length > size) {
          readable.destroy();
          assertIntegrity(resourceIdentifier, { size: filled + chunk.length, checksums: {} }, { size });
        }
        data.set(chunk, filled);
        filled += chunk.length;
        onProgress?.(filled);
      }
    } catch (error) {
      if (signal?.aborted) throw new OperationAbortedError(undefined, { cause: error });
      throw mapFsError(error, 'write', resourceIdentifier);
    }
    assertIntegrity(resourceIdentifier, { size: filled, checksums: {} }, { size });
    return data;
  })();
  if (!signal) return gathering;
  // An abort ends the write at once, even when the source takes its time to close.
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      readable.destroy();
      reject(new OperationAbortedError(undefined, { cause: signal.reason }));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    gathering.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const TEMP_PATTERN = /^\.(.+)\.stowage-[0-9a-f]{12}\.tmp$/;

/**
 * The local filesystem. Writes go to a hidden temp file beside the target and
 * are published by rename (or by link when overwriting is refused, which fails
 * atomically if the target exists). Identifiers are confined to the prefix:
 * `..`, absolute paths, control characters and symlinks that lead out are
 * rejected with AccessorResourceIdentifierError.
 */
export class DiskAccessor extends BaseAccessor {
  readonly name = 'disk';
  readonly capabilities = defineCapabilities({
    read: true,
    write: true,
    list: true,
    stat: true,
    rangeRead: true,
    parallelRangeRead: true,
    rangeWrite: true,
    containers: 'real',
    emptyContainers: true,
    removeContainer: true,
    serverSideCopy: true,
    filesystemPath: true,
    url: 'file',
    atomicWrite: true,
    conditionalCreate: true,
    resume: true,
    sequence: true,
    pathConfinement: true,
    symlinks: true,
    maxNameLength: 255,
  });
  readonly prefix: string;
  private readonly fsync: boolean;
  private readonly smallFiles: LocalFileThreads | undefined;
  private realPrefix: string | undefined;

  constructor(options: DiskAccessorOptions) {
    super();
    if (!options?.prefix) throw new AccessorResourceIdentifierError('', 'DiskAccessor needs a prefix');
    this.prefix = resolve(options.prefix);
    this.fsync = options.fsync ?? true;
    this.smallFiles = smallFileThreads(options.smallFileThreads);
  }

  /** Absolute path of an identifier, checked lexically (segments, not string prefixes). */
  override getFilesystemPath(resourceIdentifier: string): string {
    const segments = this.segments(resourceIdentifier);
    return segments.length === 0 ? this.prefix : join(this.prefix, ...segments);
  }

  /**
   * The path, after checking that symlinks along it stay under the real root
   * (the deepest existing ancestor is resolved; what does not exist yet cannot
   * be a link).
   */
  private async safePath(resourceIdentifier: string): Promise<string> {
    const path = this.getFilesystemPath(resourceIdentifier);
    let existing = path;
    for (;;) {
      try {
        await this.assertInsideRoot(await realpath(existing), resourceIdentifier);
        return path;
      } catch (error) {
        if (error instanceof AccessorResourceIdentifierError) throw error;
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw mapFsError(error, 'resolve', resourceIdentifier);
        if (existing === this.prefix || existing === dirname(existing)) return path;
        existing = dirname(existing);
      }
    }
  }

  /** Refuse a resolved (real) path outside the real root: segments compared, not string prefixes. */
  private async assertInsideRoot(real: string, resourceIdentifier: string): Promise<void> {
    const rel = relative(await this.realRoot(), real);
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new AccessorResourceIdentifierError(resourceIdentifier, 'resolves outside the accessor root');
    }
  }

  /** The prefix with its symlinks resolved (once): what confined paths must resolve under. */
  private async realRoot(): Promise<string> {
    this.realPrefix ??= await realpath(this.prefix).catch(() => this.prefix);
    return this.realPrefix;
  }

  /** Where a local-file thread job publishes `path` (lexically confined; the thread checks its folder). */
  private async threadTarget(path: string) {
    return {
      realPrefix: await this.realRoot(),
      folder: dirname(path),
      name: basename(path),
      tempName: basename(tempPathFor(path)),
      fsync: this.fsync,
    };
  }

  private childIdentifier(resourceIdentifier: string, name: string): string {
    const base = this.segments(resourceIdentifier).join('/');
    return base ? `${base}/${name}` : name;
  }

  async list(resourceIdentifier: string): Promise<string[]> {
    const path = await this.safePath(resourceIdentifier);
    try {
      const names = await readdir(path);
      return names
        .filter((name) => !TEMP_PATTERN.test(name))
        .sort()
        .map((name) => this.childIdentifier(resourceIdentifier, name));
    } catch (error) {
      throw mapFsError(error, 'list', resourceIdentifier);
    }
  }

  /** Children with sizes: one readdir, then local stats in parallel. */
  async listStats(resourceIdentifier: string): Promise<ListEntry[]> {
    const children = await this.list(resourceIdentifier);
    const base = await this.safePath(resourceIdentifier);
    return Promise.all(
      children.map(async (child) => {
        const info = await stat(join(base, child.slice(child.lastIndexOf('/') + 1))).catch(() => undefined);
        return {
          resourceIdentifier: child,
          size: info?.isFile() ? info.size : 0,
          isContainer: info?.isDirectory() ?? false,
        };
      }),
    );
  }

  async stat(resourceIdentifier: string): Promise<ResourceStat> {
    const path = await this.safePath(resourceIdentifier);
    try {
      const info = await stat(path);
      return {
        size: info.isDirectory() ? 0 : info.size,
        isContainer: info.isDirectory(),
        modified: info.mtime,
      };
    } catch (error) {
      throw mapFsError(error, 'stat', resourceIdentifier);
    }
  }

  /** The file with its fstat (no separate stat); small files in one read (see openLocalRead). */
  async openRead(resourceIdentifier: string, options: OpenReadOptions = {}): Promise<OpenedRead> {
    return openLocalRead(
      await this.safePath(resourceIdentifier),
      resourceIdentifier,
      (error) => mapFsError(error, 'read', resourceIdentifier),
      { ...options, threads: this.smallFiles },
    );
  }

  async createReadStream(resourceIdentifier: string, options: ReadStreamOptions = {}): Promise<Readable> {
    const path = await this.safePath(resourceIdentifier);
    const handle = await open(path, constants.O_RDONLY).catch((error: unknown) => {
      throw mapFsError(error, 'read', resourceIdentifier);
    });
    const info = await handle.stat();
    if (info.isDirectory()) {
      await handle.close();
      throw new AccessorResourceInvalidError({ operation: 'read', resourceIdentifier });
    }
    if (options.end !== undefined && options.end < (options.start ?? 0)) {
      await handle.close();
      return toReadable(new Uint8Array(0));
    }
    return createReadStream('', {
      fd: handle,
      highWaterMark: 1024 * 1024,
      ...(options.start !== undefined ? { start: options.start } : {}),
      ...(options.end !== undefined ? { end: options.end } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async write(
    resourceIdentifier: string,
    source: WriteSource,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    const overwrite = options.overwrite ?? true;
    if (this.smallFiles && !options.resume && options.size !== undefined && options.size <= SMALL_FILE_BYTES)
      return this.writeSmall(
        this.smallFiles,
        resourceIdentifier,
        source,
        { ...options, size: options.size },
        overwrite,
      );
    return this.writeStreamed(resourceIdentifier, source, options, overwrite);
  }

  /**
   * A small file in one job on a small-file thread: the bytes are gathered
   * here (at most SMALL_FILE_BYTES: memory stays concurrency x one chunk),
   * hashed, checked and published there. Anything but success or a checksum
   * mismatch redoes the write on the streamed path from the bytes in hand,
   * which reports the cause as its typed error (or succeeds if it has gone).
   */
  private async writeSmall(
    threads: LocalFileThreads,
    resourceIdentifier: string,
    source: WriteSource,
    options: WriteOptions & { size: number },
    overwrite: boolean,
  ): Promise<WriteResult> {
    if (this.segments(resourceIdentifier).length === 0)
      throw new AccessorResourceInvalidError({ operation: 'write', resourceIdentifier });
    const target = this.getFilesystemPath(resourceIdentifier);
    const data = await gather(resourceIdentifier, source, options);
    const algorithms = requestedAlgorithms(options).filter(isHashSupported);
    const outcome = await threads.publish({
      ...(await this.threadTarget(target)),
      data,
      overwrite,
      algorithms,
      expected: options.checksum && {
        algorithm: options.checksum.algorithm,
        value: options.checksum.value.toLowerCase(),
      },
    });
    if (outcome.ok) return { size: options.size, checksums: outcome.digests };
    if (outcome.stage === 'integrity')
      assertIntegrity(resourceIdentifier, { size: options.size, checksums: outcome.digests ?? {} }, options);
    // Progress already counted these bytes once.
    const { onProgress: _counted, ...rest } = options;
    if (!outcome.data)
      throw new AccessorOperationFailedError({
        operation: 'write',
        resourceIdentifier,
        message: 'The small-file thread ended during the write.',
        transient: true,
      });
    return this.writeStreamed(resourceIdentifier, outcome.data, rest, overwrite);
  }

  private async writeStreamed(
    resourceIdentifier: string,
    source: WriteSource,
    options: WriteOptions,
    overwrite: boolean,
  ): Promise<WriteResult> {
    const target = await this.writableTarget(resourceIdentifier, overwrite, options.size);
    const resume = options.resume;
    // A resumed write continues the temp file its checkpoint names.
    const resumedTemp = resume?.state
      ? await this.resumableTemp(resourceIdentifier, resume.state)
      : undefined;
    if (resume?.state && !resumedTemp)
      throw new AccessorResourceInvalidError({
        operation: 'write',
        resourceIdentifier,
        message: 'The checkpoint names no usable temp file.',
      });
    const temp = resumedTemp ?? tempPathFor(target);
    const offset = resumedTemp ? (resume?.offset ?? 0) : 0;
    const algorithms = requestedAlgorithms(options);
    const measuring = new MeasuringStream({
      algorithms,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(resume ? { resume: { offset, hashes: resume.hashes } } : {}),
    });
    // The temp file is opened before any byte flows, so a source that fails
    // at once cannot race its creation past the cleanup below.
    let handle: FileHandle | undefined;
    try {
      handle = await open(temp, resumedTemp ? 'r+' : 'wx');
      if (resumedTemp) await handle.truncate(offset);
      const save = resume?.save;
      if (save) await save({ temp: basename(temp), offset });
      // The stream owns the handle from here: it closes it, after an fsync
      // when `flush` is on, before the pipeline settles. A resumable write's
      // checkpoints flush every CHECKPOINT_BYTES already: no second series.
      const output = new GatheringFileWriter(handle, {
        flush: this.fsync,
        progressive: save === undefined,
        start: offset,
      });
      const file = handle;
      handle = undefined;
      // A checkpoint only counts bytes flushed to the device: the offset is
      // what the file had been given before the fdatasync began, so even a
      // power loss cannot make resumeOffset count a torn tail.
      const saver = save
        ? new CheckpointSaver(
            async (written) => {
              if (this.fsync) await file.datasync();
              await save({ temp: basename(temp), offset: written });
            },
            offset,
            CHECKPOINT_BYTES,
          )
        : undefined;
      const stages = saver
        ? [measuring, checkpointing(saver, () => offset + output.bytesWritten), output]
        : [measuring, output];
      await pipeline([toReadable(source), ...stages], options.signal ? { signal: options.signal } : {});
      const result = { size: measuring.size, checksums: measuring.digests() };
      assertIntegrity(resourceIdentifier, result, options);
      await this.publish(temp, target, resourceIdentifier, overwrite);
      return resumedTemp ? { ...result, resumedFrom: offset } : result;
    } catch (error) {
      await handle?.close().catch(() => {});
      // A resumable write keeps its temp file for the next attempt; the
      // transfer engine discards it when the failure is not transient.
      if (!resume) await unlink(temp).catch(() => {});
      if (options.signal?.aborted) throw new OperationAbortedError(undefined, { cause: error });
      throw mapFsError(error, 'write', resourceIdentifier);
    }
  }

  /**
   * The confined path of a file about to be written: its folder exists (and
   * resolves inside the root), and the file is no folder, and absent unless
   * `overwrite`. Only the folder is resolved: rename and link replace or refuse
   * the target's own directory entry and never follow it, so a symlink at the
   * target cannot lead a write outside.
   *
   * Small files (`size` under EARLY_EXISTS_CHECK_BYTES) skip the early lstat:
   * the no-overwrite publish refuses an existing target atomically anyway, and
   * re-sending a few MiB costs less than a round trip per file of a sequence.
   */
  private async writableTarget(
    resourceIdentifier: string,
    overwrite: boolean,
    size?: number,
  ): Promise<string> {
    if (this.segments(resourceIdentifier).length === 0)
      throw new AccessorResourceInvalidError({ operation: 'write', resourceIdentifier });
    const target = this.getFilesystemPath(resourceIdentifier);
    await this.confinedFolder(dirname(target), resourceIdentifier);
    if (size !== undefined && size < EARLY_EXISTS_CHECK_BYTES) return target;
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isDirectory())
      throw new AccessorResourceInvalidError({ operation: 'write', resourceIdentifier });
    if (existing && !overwrite)
      throw new AccessorResourceExistsError({ operation: 'write', resourceIdentifier });
    return target;
  }

  /** Checks that an existing folder resolves inside the root (one realpath), for writes into it. */
  private async confinedFolder(folder: string, resourceIdentifier: string): Promise<void> {
    let real: string;
    try {
      real = await realpath(folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A missing folder: an ancestor that leads outside is still refused as such.
      if (code === 'ENOENT') await this.safePath(this.identifierOf(folder));
      throw mapFsError(error, 'write', resourceIdentifier, code === 'ENOENT');
    }
    await this.assertInsideRoot(real, resourceIdentifier);
  }

  /** The identifier of a path under the prefix (lexically under it: built by getFilesystemPath). */
  private identifierOf(path: string): string {
    return relative(this.prefix, path).split(sep).join('/');
  }

  /**
   * Positioned writes for a multi-stream download: a hidden temp file of the
   * final size (or the checkpoint's, to resume), published like `write`.
   */
  async openRangeWriter(resourceIdentifier: string, options: RangeWriterOptions): Promise<RangeWriter> {
    const overwrite = options.overwrite ?? true;
    const target = await this.writableTarget(resourceIdentifier, overwrite);
    const resumedTemp = options.resume
      ? await this.resumableTemp(resourceIdentifier, options.resume.state)
      : undefined;
    if (options.resume && !resumedTemp)
      throw new AccessorResourceInvalidError({
        operation: 'write',
        resourceIdentifier,
        message: 'The checkpoint names no usable temp file.',
      });
    const temp = resumedTemp ?? tempPathFor(target);
    let handle: FileHandle | undefined;
    try {
      // Readable too: the prefix hasher reads finished ranges back while later ones arrive.
      handle = await open(temp, resumedTemp ? 'r+' : 'wx+');
      // The final size up front (sparse): ranges land anywhere, a resumed tail is rewritten.
      await handle.truncate(options.size);
    } catch (error) {
      await handle?.close().catch(() => {});
      if (!resumedTemp) await unlink(temp).catch(() => {});
      throw mapFsError(error, 'write', resourceIdentifier);
    }
    return new DiskRangeWriter({
      handle,
      temp,
      resourceIdentifier,
      size: options.size,
      fsync: this.fsync,
      checksums: options.checksums,
      offset: resumedTemp ? options.resume?.offset : 0,
      settle: async (path, settleOptions) => {
        try {
          return await this.settleCopy(path, settleOptions);
        } catch (error) {
          throw mapFsError(error, 'write', resourceIdentifier);
        }
      },
      publish: async (path) => {
        try {
          await this.publish(path, target, resourceIdentifier, overwrite);
        } catch (error) {
          throw mapFsError(error, 'write', resourceIdentifier);
        }
      },
    });
  }

  /**
   * How many bytes of an interrupted resumable write are safely in its temp
   * file: what the last checkpoint saw flushed (with fsync off, what it saw
   * written), never more than the file holds.
   */
  async resumeOffset(resourceIdentifier: string, state: ResumeState): Promise<number | undefined> {
    const saved = parseTempFileResumeState(state, TEMP_PATTERN);
    const temp = saved && (await this.resumableTemp(resourceIdentifier, saved));
    if (!saved || !temp) return undefined;
    const info = await lstat(temp).catch(() => undefined);
    return info?.isFile() ? Math.min(info.size, saved.offset) : undefined;
  }

  async discardResume(resourceIdentifier: string, state: ResumeState): Promise<void> {
    const temp = await this.resumableTemp(resourceIdentifier, state);
    if (temp) await unlink(temp).catch(() => {});
  }

  /**
   * The temp file a checkpoint names, or undefined: only one of our own temp
   * names, in the target's folder (a checkpoint is a file anyone could edit).
   */
  private async resumableTemp(resourceIdentifier: string, state: ResumeState): Promise<string | undefined> {
    const saved = parseTempFileResumeState(state, TEMP_PATTERN);
    if (!saved) return undefined;
    const target = await this.safePath(resourceIdentifier);
    return join(dirname(target), saved.temp);
  }

  /** Rename into place; without overwrite, link (fails with EEXIST atomically) then drop the temp name. */
  private async publish(
    temp: string,
    target: string,
    resourceIdentifier: string,
    overwrite: boolean,
  ): Promise<void> {
    if (overwrite) {
      await rename(temp, target);
      return;
    }
    try {
      await link(temp, target);
      await unlink(temp);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        // The early check may have been skipped (small files): a folder there is no "exists" conflict.
        const existing = await lstat(target).catch(() => undefined);
        if (existing?.isDirectory())
          throw new AccessorResourceInvalidError({ operation: 'write', resourceIdentifier });
        throw new AccessorResourceExistsError({ operation: 'write', resourceIdentifier });
      }
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw error;
      // Filesystems without hard links: check, then rename (a small race remains there).
      if (
        await lstat(target).then(
          () => true,
          () => false,
        )
      ) {
        throw new AccessorResourceExistsError({ operation: 'write', resourceIdentifier });
      }
      await rename(temp, target);
    }
  }

  async remove(resourceIdentifier: string): Promise<void> {
    const path = await this.safePath(resourceIdentifier);
    const info = await lstat(path).catch((error: unknown) => {
      throw mapFsError(error, 'remove', resourceIdentifier);
    });
    if (info.isDirectory())
      throw new AccessorResourceInvalidError({ operation: 'remove', resourceIdentifier });
    await unlink(path).catch((error: unknown) => {
      throw mapFsError(error, 'remove', resourceIdentifier);
    });
  }

  async makeContainer(resourceIdentifier: string, recursive = true): Promise<void> {
    const path = await this.safePath(resourceIdentifier);
    try {
      await mkdir(path, { recursive });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        if ((await stat(path)).isDirectory()) return;
        throw new AccessorResourceInvalidError({ operation: 'makeContainer', resourceIdentifier, error });
      }
      throw mapFsError(error, 'makeContainer', resourceIdentifier, code === 'ENOENT');
    }
    const info = await stat(path);
    if (!info.isDirectory())
      throw new AccessorResourceInvalidError({ operation: 'makeContainer', resourceIdentifier });
  }

  async removeContainer(resourceIdentifier: string, options: { recursive?: boolean } = {}): Promise<void> {
    const path = await this.safePath(resourceIdentifier);
    const info = await lstat(path).catch((error: unknown) => {
      throw mapFsError(error, 'removeContainer', resourceIdentifier);
    });
    if (!info.isDirectory())
      throw new AccessorResourceInvalidError({ operation: 'removeContainer', resourceIdentifier });
    if (this.segments(resourceIdentifier).length === 0 && options.recursive) {
      // Empty the root but keep it: the prefix belongs to the configuration.
      for (const name of await readdir(path)) await rm(join(path, name), { recursive: true, force: true });
      return;
    }
    await (options.recursive ? rm(path, { recursive: true }) : rmdir(path)).catch((error: unknown) => {
      throw mapFsError(error, 'removeContainer', resourceIdentifier);
    });
  }

  /** Copy inside this root with copyFile (reflink where the filesystem can), atomically. */
  async copy(source: string, target: string, options: CopyOptions = {}): Promise<WriteResult> {
    return this.copyFromPath(await this.safePath(source), source, target, options);
  }

  /** Disk-to-disk fast path: any accessor with a filesystem path (another DiskAccessor, the origin). */
  /** copyFile applies to local files only (this accessor's kind, or the origin). */
  copiesFrom(source: Accessor): boolean {
    return source.capabilities.filesystemPath && (source instanceof DiskAccessor || source.name === 'origin');
  }

  async copyFrom(
    source: Accessor,
    sourceResourceIdentifier: string,
    target: string,
    options: CopyOptions = {},
  ): Promise<WriteResult | undefined> {
    if (!this.copiesFrom(source)) return undefined;
    return this.copyFromPath(
      source.getFilesystemPath(sourceResourceIdentifier),
      sourceResourceIdentifier,
      target,
      options,
    );
  }

  /** Size, requested checksums and (fsync on) durability of a copied temp file, in one pass. */
  private async settleCopy(temp: string, options: CopyOptions): Promise<WriteResult> {
    const algorithms = options.checksums ?? [];
    if (algorithms.length === 0 && !this.fsync) return { size: (await stat(temp)).size, checksums: {} };
    const handle = await open(temp, 'r');
    try {
      const measuring = new MeasuringStream({ algorithms });
      if (algorithms.length > 0) {
        await pipeline(
          handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 }),
          measuring,
          new Writable({ write: (_chunk, _encoding, callback) => callback() }),
          options.signal ? { signal: options.signal } : {},
        );
      }
      if (this.fsync) await handle.sync();
      const size = algorithms.length > 0 ? measuring.size : (await handle.stat()).size;
      return { size, checksums: measuring.digests() };
    } finally {
      await handle.close();
    }
  }

  private async copyFromPath(
    from: string,
    sourceIdentifier: string,
    target: string,
    options: CopyOptions,
  ): Promise<WriteResult> {
    if (this.smallFiles && this.segments(target).length > 0) {
      // A small source is read and published in one job on a local-file
      // thread; anything else (large, missing, refused) takes the path below,
      // which reports it as its typed error.
      options.signal?.throwIfAborted();
      const outcome = await this.smallFiles.copy({
        ...(await this.threadTarget(this.getFilesystemPath(target))),
        from,
        maxBytes: SMALL_FILE_BYTES,
        overwrite: options.overwrite ?? true,
        algorithms: (options.checksums ?? []).filter(isHashSupported),
      });
      if (outcome.ok) return { size: outcome.size, checksums: outcome.digests };
    }
    const to = await this.safePath(target);
    const overwrite = options.overwrite ?? true;
    if (
      !overwrite &&
      (await lstat(to).then(
        () => true,
        () => false,
      ))
    ) {
      throw new AccessorResourceExistsError({ operation: 'copy', resourceIdentifier: target });
    }
    const temp = tempPathFor(to);
    try {
      options.signal?.throwIfAborted();
      await copyFile(from, temp, constants.COPYFILE_FICLONE);
      // Hash what landed (the caller registers it and compares it with the
      // source's) and make it durable before it is published, as a streamed write.
      const { size, checksums } = await this.settleCopy(temp, options);
      await this.publish(temp, to, target, overwrite);
      return { size, checksums };
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw mapFsError(
        error,
        'copy',
        (error as NodeJS.ErrnoException).path === from ? sourceIdentifier : target,
      );
    }
  }

  override async getUrl(resourceIdentifier: string): Promise<string> {
    return pathToFileURL(await this.safePath(resourceIdentifier)).href;
  }
}
