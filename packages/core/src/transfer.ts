import { createHash } from 'node:crypto';
import type { Accessor, OpenedRead, RangeWriter, ResourceStat, WriteResult } from './accessor.js';
import {
  CheckpointSaver,
  type CheckpointStore,
  FINGERPRINT_SPAN,
  peekHead,
  type ResumeState,
  type SourceFingerprint,
  sameFingerprint,
  sourceFingerprint,
} from './checkpoint.js';
import { positiveIntegerFromEnv } from './env.js';
import {
  AccessorIntegrityError,
  AccessorResourceExistsError,
  appearedDuringWrite,
  isTransientError,
  OperationAbortedError,
} from './errors.js';
import { copyRanges, defaultMultiStreamOptions, type MultiStreamOptions } from './multi-stream.js';
import { withRetry } from './retry.js';
import {
  createPrefixHashes,
  type ExpectedChecksum,
  type PrefixHashes,
  requestedAlgorithms,
} from './streams.js';

/** Where a resumable transfer keeps its checkpoint. */
export interface TransferCheckpoints {
  store: CheckpointStore;
  /** Unique per target: the engine's callers use location id + resource identifier. */
  key: string;
  /** Smallest file that is worth a checkpoint (default 32 MiB, or STOWAGE_RESUME_THRESHOLD bytes). */
  threshold?: number;
}

export interface FileTransferOptions {
  signal?: AbortSignal;
  /** Bytes of this file acknowledged by the target so far (restarts at 0 on a retry). */
  onProgress?: (bytes: number) => void;
  /** Replace an existing target (default false: data safety first). */
  overwrite?: boolean;
  /** Use server-side copy and copyFrom fast paths when offered (default true). */
  fastPaths?: boolean;
  /**
   * Check the copy against native checksums (the source's MD5, the target's
   * stored one) (default true). false: only the size is checked, which is
   * always done.
   */
  verify?: boolean;
  /**
   * When to hash the bytes (size is always checked):
   * - `'compare'` (default, or STOWAGE_CHECKSUMS): MD5 only where a native MD5
   *   of the source or the target is compared with it (rclone's rule; MD5
   *   costs about 1.7 ms per MiB of one core),
   * - `'always'`: MD5 of every copy, returned in the result (registered by
   *   locations for `verify --checksums`).
   */
  checksums?: ChecksumPolicy;
  /** Attempts after the first on transient errors (default 3). */
  retries?: number;
  /**
   * Resume interrupted writes of large files (target capabilities.resume): a
   * retry, or another process later, continues from the saved checkpoint
   * instead of sending every byte again.
   */
  checkpoints?: TransferCheckpoints;
  /**
   * Download large files in parallel ranges when the source reads ranges
   * cheaply (capabilities.parallelRangeRead) and the target takes positioned
   * writes (capabilities.rangeWrite, the disk); false: one stream.
   */
  multiStream?: MultiStreamOptions | false;
}

export type ChecksumPolicy = 'compare' | 'always';

/** `'compare'`, or STOWAGE_CHECKSUMS=always. */
export function defaultChecksumPolicy(): ChecksumPolicy {
  const fromEnv = process.env.STOWAGE_CHECKSUMS;
  return fromEnv === 'always' ? 'always' : 'compare';
}

export function defaultResumeThreshold(): number {
  return (
    positiveIntegerFromEnv('STOWAGE_RESUME_THRESHOLD', process.env.STOWAGE_RESUME_THRESHOLD) ??
    32 * 1024 * 1024
  );
}

/**
 * Copy one file between accessors: fast path when offered, else a stream with
 * backpressure (memory bounded by the streams' buffers, never by file size).
 * The target's write is atomic; size is always checked, and MD5 where either
 * side knows it natively (rclone's check after every copy).
 */
export async function transferFile(
  source: Accessor,
  sourceResourceIdentifier: string,
  target: Accessor,
  targetResourceIdentifier: string,
  options: FileTransferOptions = {},
): Promise<WriteResult> {
  const overwrite = options.overwrite ?? false;
  const verify = options.verify ?? true;
  const alwaysHash = (options.checksums ?? defaultChecksumPolicy()) === 'always';
  // MD5 while streaming when something compares it: the source's native MD5,
  // or the target's stored one after the write.
  const hashStream = (checksum: ExpectedChecksum | undefined) =>
    alwaysHash || (verify && (checksum !== undefined || target.capabilities.checksums.includes('md5')));
  const checkpoints = options.checkpoints;
  let releaseLock: (() => Promise<void>) | undefined;
  let lockTried = false;
  try {
    return await copyWithRetries();
  } finally {
    await releaseLock?.().catch(() => {});
  }

  function copyWithRetries(): Promise<WriteResult> {
    return withRetry(
      async (attempt) => {
        try {
          return await copyOnce();
        } catch (error) {
          // A dropped connection can hide a publish that succeeded on the
          // server; the retry (ours, or the client library's: the accessor then
          // marks the error) finds its own target. Adopt it only when its bytes
          // are the source's, so nothing is overwritten or lost.
          if (
            !overwrite &&
            error instanceof AccessorResourceExistsError &&
            (attempt > 0 || appearedDuringWrite(error))
          ) {
            const adopted = await adoptIdenticalTarget(
              source,
              sourceResourceIdentifier,
              target,
              targetResourceIdentifier,
              options.signal,
            );
            if (adopted) {
              options.onProgress?.(adopted.size);
              return adopted;
            }
          }
          throw error;
        }
      },
      { retries: options.retries ?? 3, ...(options.signal ? { signal: options.signal } : {}) },
    );
  }

  /** The checkpoint store, when this file is worth resuming and no other process is resuming it. */
  async function resumable(sourceStat: ResourceStat): Promise<CheckpointStore | undefined> {
    if (
      !checkpoints ||
      !target.capabilities.resume ||
      !target.resumeOffset ||
      !source.capabilities.rangeRead ||
      sourceStat.size < (checkpoints.threshold ?? defaultResumeThreshold())
    )
      return undefined;
    if (!lockTried) {
      lockTried = true;
      releaseLock = await checkpoints.store.lock(checkpoints.key);
    }
    return releaseLock ? checkpoints.store : undefined;
  }

  /** Stream the source, resuming from a checkpoint when there is a usable one. */
  async function streamCopy(
    sourceStat: ResourceStat,
    checksum: ExpectedChecksum | undefined,
    opened?: OpenedRead,
  ): Promise<WriteResult> {
    const store = await resumable(sourceStat).catch((error: unknown) => {
      opened?.stream.destroy();
      throw error;
    });
    const signalOption = options.signal ? { signal: options.signal } : {};
    const writeOptionsFor = (expected: ExpectedChecksum | undefined) => ({
      size: sourceStat.size,
      ...(expected ? { checksum: expected } : {}),
      checksums: hashStream(expected) ? ['md5' as const] : [],
      overwrite,
      ...signalOption,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    if (!store || !checkpoints) {
      const stream =
        opened?.stream ?? (await source.createReadStream(sourceResourceIdentifier, signalOption));
      try {
        // A stream that checks the native MD5 itself needs no second hash.
        // Bytes already in memory go as they are: no stream to pump per file.
        return await target.write(
          targetResourceIdentifier,
          opened?.data ?? stream,
          writeOptionsFor(opened?.verified ? undefined : checksum),
        );
      } finally {
        stream.destroy();
      }
    }
    const md5 = hashStream(checksum);
    const writeOptions = writeOptionsFor(checksum);

    const key = checkpoints.key;
    // The fingerprint's head comes from the read already open; a range read
    // of its own cost an FTP source a new login (47-450 ms on proftpd), since
    // a read stopped short closes its connection. The open read is not kept
    // for the copy: it may hold the source's last free connection, which the
    // fingerprint's tail needs (an FTP pool of one would wait forever).
    const head = opened ? await peekHead(opened.stream, FINGERPRINT_SPAN) : undefined;
    opened?.stream.destroy();
    const fingerprint = await sourceFingerprint(
      source,
      sourceResourceIdentifier,
      sourceStat,
      options.signal,
      head,
    );
    const { state, offset } = await resumePoint(store, fingerprint, sourceStat);
    const algorithms = [
      ...new Set([...(md5 ? ['md5' as const] : []), ...(checksum ? [checksum.algorithm] : [])]),
    ];
    const hashes = offset > 0 && algorithms.length > 0 ? await hashPrefix(offset, algorithms) : undefined;
    const stream = await source.createReadStream(sourceResourceIdentifier, {
      start: offset,
      ...signalOption,
    });
    let latest = state;
    try {
      const result = await target.write(targetResourceIdentifier, stream, {
        ...writeOptions,
        resume: {
          ...(state ? { state } : {}),
          offset,
          ...(hashes ? { hashes } : {}),
          save: async (next) => {
            latest = next;
            await store.save(key, checkpointOf(fingerprint, next));
          },
        },
      });
      await store.remove(key);
      return offset > 0 ? { ...result, resumedFrom: offset } : result;
    } catch (error) {
      // Keep the partial upload for a retry or a later process only when the
      // failure may pass; anything else (integrity, exists) starts over.
      if (!(isTransientError(error) || error instanceof OperationAbortedError || options.signal?.aborted))
        await discard(latest);
      throw error;
    } finally {
      stream.destroy();
    }

    async function discard(discarded: ResumeState | undefined): Promise<void> {
      if (discarded) await target.discardResume?.(targetResourceIdentifier, discarded).catch(() => {});
      await store?.remove(key);
    }
  }

  /**
   * Where to continue: the saved state and how much of it the target still
   * holds, when the checkpoint is this target's and the source is unchanged;
   * else the checkpoint (and this target's partial write) is discarded.
   */
  async function resumePoint(
    store: CheckpointStore,
    fingerprint: SourceFingerprint,
    sourceStat: ResourceStat,
  ): Promise<{ state?: ResumeState; offset: number }> {
    const key = checkpoints!.key;
    const saved = await store.load(key);
    if (!saved) return { offset: 0 };
    const ours = saved.accessor === target.name && saved.resourceIdentifier === targetResourceIdentifier;
    const savedOffset =
      ours && sameFingerprint(saved.source, fingerprint)
        ? await target.resumeOffset!(targetResourceIdentifier, saved.state, {
            size: sourceStat.size,
            ...(options.signal ? { signal: options.signal } : {}),
          })
        : undefined;
    if (savedOffset === undefined) {
      // The source changed or the partial write is gone: start over. Only a
      // checkpoint of this very target is handed to its discardResume.
      if (ours) await target.discardResume?.(targetResourceIdentifier, saved.state).catch(() => {});
      await store.remove(key);
      return { offset: 0 };
    }
    return { state: saved.state, offset: Math.min(savedOffset, sourceStat.size) };
  }

  /** Parallel ranges apply: a large file, a source that reads ranges cheaply, a target that writes them. */
  function multiStreamSettings(sourceStat: ResourceStat) {
    if (options.multiStream === false || !target.openRangeWriter || !target.capabilities.rangeWrite)
      return undefined;
    if (!source.capabilities.parallelRangeRead) return undefined;
    const settings = { ...defaultMultiStreamOptions(), ...options.multiStream };
    if (settings.streams < 2 || sourceStat.size < Math.max(settings.threshold, 2 * settings.partSize))
      return undefined;
    return settings;
  }

  /** Download in parallel ranges into a range writer, resuming from a checkpoint when there is one. */
  async function multiStreamCopy(
    sourceStat: ResourceStat,
    checksum: ExpectedChecksum | undefined,
    settings: Required<MultiStreamOptions>,
  ): Promise<WriteResult> {
    const store = await resumable(sourceStat);
    const key = checkpoints?.key;
    const fingerprint = store
      ? await sourceFingerprint(source, sourceResourceIdentifier, sourceStat, options.signal)
      : undefined;
    const point = store && fingerprint ? await resumePoint(store, fingerprint, sourceStat) : { offset: 0 };
    const algorithms: ExpectedChecksum['algorithm'][] = hashStream(checksum) ? ['md5'] : [];
    const writer: RangeWriter = await target.openRangeWriter!(targetResourceIdentifier, {
      size: sourceStat.size,
      overwrite,
      checksums: requestedAlgorithms({ checksums: algorithms, checksum }),
      ...(point.state ? { resume: { state: point.state, offset: point.offset } } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const save = async (offset: number) => {
      const state = await writer.checkpoint(offset);
      await store!.save(key!, checkpointOf(fingerprint!, state));
    };
    let saver: CheckpointSaver | undefined;
    try {
      if (store) {
        // Before the first byte, so a kill at any moment leaves a findable partial.
        await save(point.offset);
        saver = new CheckpointSaver(save, point.offset, settings.partSize);
      }
      await copyRanges({
        source,
        sourceResourceIdentifier,
        writer,
        size: sourceStat.size,
        offset: point.offset,
        streams: settings.streams,
        partSize: settings.partSize,
        signal: options.signal,
        onProgress: options.onProgress,
        onContiguous: (offset) => {
          saver?.progress(offset);
          writer.contiguous?.(offset);
        },
      });
      await saver?.flush();
      options.signal?.throwIfAborted();
      const result = await writer.commit({
        checksums: algorithms,
        ...(checksum ? { checksum } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (store) await store.remove(key!);
      return point.offset > 0 ? { ...result, resumedFrom: point.offset } : result;
    } catch (error) {
      await saver?.flush().catch(() => {});
      // Keep the partial download for a retry or a later process only when
      // the failure may pass; bytes that failed a check are never resumed.
      const keep =
        store !== undefined &&
        !(error instanceof AccessorIntegrityError) &&
        (isTransientError(error) ||
          error instanceof OperationAbortedError ||
          options.signal?.aborted === true);
      await writer.abort(keep).catch(() => {});
      if (store && !keep) await store.remove(key!);
      throw error;
    }
  }

  function checkpointOf(fingerprint: SourceFingerprint, state: ResumeState) {
    return {
      version: 1 as const,
      accessor: target.name,
      resourceIdentifier: targetResourceIdentifier,
      source: fingerprint,
      state,
      updatedAt: new Date().toISOString(),
    };
  }

  /** Hashes of the source's first `length` bytes, read locally instead of sent again. */
  async function hashPrefix(
    length: number,
    algorithms: ExpectedChecksum['algorithm'][],
  ): Promise<PrefixHashes> {
    const hashes = createPrefixHashes(algorithms);
    const stream = await source.createReadStream(sourceResourceIdentifier, {
      start: 0,
      end: length - 1,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const chunk of stream) for (const hash of Object.values(hashes)) hash?.update(chunk as Buffer);
    return hashes;
  }

  /**
   * A fast-path copy moved no bytes through us: use the MD5 the accessor
   * computed of the copy, else the target's native one, else read it back
   * where that is local and cheap; check it against the source's MD5 when
   * known, and return it to be registered for `verify --checksums`.
   */
  async function checksumFastCopy(result: WriteResult, sourceStat: ResourceStat): Promise<WriteResult> {
    let md5 = result.checksums.md5;
    const expected = sourceStat.checksums?.md5;
    if (!md5 && target.capabilities.checksums.includes('md5'))
      md5 = (await target.stat(targetResourceIdentifier)).checksums?.md5;
    if (!md5 && target.capabilities.filesystemPath && (alwaysHash || expected))
      md5 = await md5Of(target, targetResourceIdentifier, options.signal);
    if (!md5) return result;
    if (expected && expected !== md5) {
      await target.remove(targetResourceIdentifier).catch(() => {});
      throw new AccessorIntegrityError({
        operation: 'transfer',
        resourceIdentifier: targetResourceIdentifier,
        message: `MD5 mismatch after copy to ${JSON.stringify(targetResourceIdentifier)}; the copy was removed.`,
        details: { expected, actual: md5 },
        transient: true,
      });
    }
    return { ...result, checksums: { ...result.checksums, md5 } };
  }

  /**
   * The target refused bytes that did not match the source's own checksum:
   * they may have been damaged on the way, so another attempt may read them
   * right (as when the source's stream checks them itself). A mismatch that
   * persists fails every attempt, and nothing is published by any of them.
   */
  function retryableMismatch(error: unknown, checksum: ExpectedChecksum | undefined): unknown {
    if (!checksum || !(error instanceof AccessorIntegrityError) || error.transient) return error;
    if (error.details.algorithm !== checksum.algorithm) return error;
    return new AccessorIntegrityError({
      operation: 'transfer',
      resourceIdentifier: targetResourceIdentifier,
      message: error.message,
      details: error.details,
      transient: true,
      cause: error,
    });
  }

  /** A copy within one accessor, on its server. */
  function serverSideCopy(): boolean {
    return source === target && target.copy !== undefined && target.capabilities.serverSideCopy;
  }

  /** A fast path may apply (asked without a request where the target can tell). */
  function fastPathPossible(): boolean {
    if (!(options.fastPaths ?? true)) return false;
    if (serverSideCopy()) return true;
    return Boolean(target.copyFrom) && (target.copiesFrom?.(source) ?? true);
  }

  async function copyOnce(): Promise<WriteResult> {
    // Without a fast path, one request opens the read and tells the size and
    // native checksum (HTTP GET, SFTP fstat) instead of a stat first.
    // verify: false there: the copy checks the bytes (the target's write
    // hashes them anyway, off the main thread where it can), not the stream.
    const fast = fastPathPossible();
    // A copyFrom that takes only larger sources: the opening read tells the
    // size (and holds a small file whole) in the one request a stat would cost.
    const minBytes = fast && !serverSideCopy() ? (target.copyFromMinBytes ?? 0) : 0;
    let opened =
      source.openRead && (!fast || minBytes > 0)
        ? await source.openRead(sourceResourceIdentifier, {
            verify: false,
            ...(minBytes > 0 ? { wholeBytes: minBytes - 1 } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          })
        : undefined;
    // The read may fail before a copy pipes it (while a checkpoint loads, or
    // the target prepares): an 'error' nobody listens to would end the
    // process. The copy still sees the failure, in the stream's state.
    opened?.stream.on('error', () => {});
    const sourceStat = opened?.stat ?? (await source.stat(sourceResourceIdentifier));
    let result: WriteResult | undefined;
    if (fast && (!opened || sourceStat.size >= minBytes)) {
      // The fast path reads the source itself.
      opened?.stream.destroy();
      opened = undefined;
      const copyOptions = {
        overwrite,
        ...((verify && sourceStat.checksums?.md5) || alwaysHash ? { checksums: ['md5' as const] } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        sourceSize: sourceStat.size,
        ...(checkpoints && target.capabilities.resume
          ? { resumableFrom: checkpoints.threshold ?? defaultResumeThreshold() }
          : {}),
      };
      if (serverSideCopy()) {
        result = await target.copy!(sourceResourceIdentifier, targetResourceIdentifier, copyOptions);
      } else if (target.copyFrom) {
        result = await target.copyFrom(
          source,
          sourceResourceIdentifier,
          targetResourceIdentifier,
          copyOptions,
        );
      }
      if (result) {
        if (verify) result = await checksumFastCopy(result, sourceStat);
        options.onProgress?.(result.size);
      }
    }
    if (!result) {
      const multiStream = multiStreamSettings(sourceStat);
      if (multiStream) opened?.stream.destroy();
      else if (!opened && source.openRead) {
        // A fast path declined it (one the engine would resume, say): the
        // one-request read the engine takes otherwise.
        opened = await source.openRead(sourceResourceIdentifier, {
          verify: false,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        opened.stream.on('error', () => {});
      }
      // verify: false skips the comparison (the size is still checked).
      const nativeMd5 = verify ? sourceStat.checksums?.md5 : undefined;
      const checksum: ExpectedChecksum | undefined = nativeMd5
        ? { algorithm: 'md5', value: nativeMd5 }
        : undefined;
      try {
        result = multiStream
          ? await multiStreamCopy(sourceStat, checksum, multiStream)
          : await streamCopy(sourceStat, checksum, opened);
      } catch (error) {
        throw retryableMismatch(error, checksum);
      }
    }
    if (result.size !== sourceStat.size) {
      throw new AccessorIntegrityError({
        operation: 'transfer',
        resourceIdentifier: targetResourceIdentifier,
        message: `Size mismatch after copy to ${JSON.stringify(targetResourceIdentifier)}: source ${sourceStat.size}, target ${result.size}.`,
      });
    }
    if (verify && result.checksums.md5 && target.capabilities.checksums.includes('md5')) {
      const stored = result.stored?.md5 ?? (await target.stat(targetResourceIdentifier)).checksums?.md5;
      if (stored && stored !== result.checksums.md5) {
        await target.remove(targetResourceIdentifier).catch(() => {});
        throw new AccessorIntegrityError({
          operation: 'transfer',
          resourceIdentifier: targetResourceIdentifier,
          message: `MD5 mismatch after copy to ${JSON.stringify(targetResourceIdentifier)}; the copy was removed.`,
          details: { expected: result.checksums.md5, actual: stored },
          transient: true,
        });
      }
    }
    const { stored: _stored, ...plain } = result;
    return plain;
  }
}

/** MD5 of a resource, streamed. */
async function md5Of(accessor: Accessor, resourceIdentifier: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('md5');
  const stream = await accessor.createReadStream(resourceIdentifier, signal ? { signal } : {});
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The target as this transfer's result when it holds exactly the source's bytes, else undefined. */
async function adoptIdenticalTarget(
  source: Accessor,
  sourceResourceIdentifier: string,
  target: Accessor,
  targetResourceIdentifier: string,
  signal?: AbortSignal,
): Promise<WriteResult | undefined> {
  const [sourceStat, targetStat] = await Promise.all([
    source.stat(sourceResourceIdentifier),
    target.stat(targetResourceIdentifier),
  ]);
  if (targetStat.isContainer || sourceStat.size !== targetStat.size) return undefined;
  const [sourceMd5, targetMd5] = await Promise.all([
    md5Of(source, sourceResourceIdentifier, signal),
    md5Of(target, targetResourceIdentifier, signal),
  ]);
  return sourceMd5 === targetMd5
    ? { size: targetStat.size, checksums: { md5: targetMd5 }, adopted: true }
    : undefined;
}
