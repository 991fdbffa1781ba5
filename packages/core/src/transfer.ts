import { createHash } from 'node:crypto';
import type { Accessor, ResourceStat, WriteResult } from './accessor.js';
import {
  type CheckpointStore,
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
import { withRetry } from './retry.js';
import { createPrefixHashes, type ExpectedChecksum, type PrefixHashes } from './streams.js';

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
  /** Compare size and native checksums after the copy (default true). */
  verify?: boolean;
  /** Attempts after the first on transient errors (default 3). */
  retries?: number;
  /**
   * Resume interrupted writes of large files (target capabilities.resume): a
   * retry, or another process later, continues from the saved checkpoint
   * instead of sending every byte again.
   */
  checkpoints?: TransferCheckpoints;
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
  ): Promise<WriteResult> {
    const store = await resumable(sourceStat);
    const signalOption = options.signal ? { signal: options.signal } : {};
    const writeOptions = {
      size: sourceStat.size,
      ...(checksum ? { checksum } : {}),
      checksums: ['md5' as const],
      overwrite,
      ...signalOption,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    };
    if (!store || !checkpoints) {
      const stream = await source.createReadStream(sourceResourceIdentifier, signalOption);
      try {
        return await target.write(targetResourceIdentifier, stream, writeOptions);
      } finally {
        stream.destroy();
      }
    }

    const key = checkpoints.key;
    const fingerprint = await sourceFingerprint(source, sourceResourceIdentifier, sourceStat, options.signal);
    let state: ResumeState | undefined;
    let offset = 0;
    const saved = await store.load(key);
    if (saved) {
      const usable =
        saved.accessor === target.name &&
        saved.resourceIdentifier === targetResourceIdentifier &&
        sameFingerprint(saved.source, fingerprint);
      const savedOffset = usable
        ? await target.resumeOffset!(targetResourceIdentifier, saved.state, {
            size: sourceStat.size,
            ...signalOption,
          })
        : undefined;
      if (savedOffset === undefined) {
        // The source changed or the partial upload is gone: start over. Only
        // a checkpoint of this very target is handed to its discardResume.
        const ours = saved.accessor === target.name && saved.resourceIdentifier === targetResourceIdentifier;
        await discard(ours ? saved.state : undefined);
      } else {
        state = saved.state;
        offset = Math.min(savedOffset, sourceStat.size);
      }
    }
    const algorithms = [...new Set(['md5' as const, ...(checksum ? [checksum.algorithm] : [])])];
    const hashes = offset > 0 ? await hashPrefix(offset, algorithms) : undefined;
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
    if (!md5 && target.capabilities.checksums.includes('md5'))
      md5 = (await target.stat(targetResourceIdentifier)).checksums?.md5;
    if (!md5 && target.capabilities.filesystemPath)
      md5 = await md5Of(target, targetResourceIdentifier, options.signal);
    if (!md5) return result;
    const expected = sourceStat.checksums?.md5;
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

  async function copyOnce(): Promise<WriteResult> {
    const sourceStat = await source.stat(sourceResourceIdentifier);
    const copyOptions = {
      overwrite,
      ...(verify ? { checksums: ['md5' as const] } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    let result: WriteResult | undefined;
    if (options.fastPaths ?? true) {
      if (source === target && target.copy && target.capabilities.serverSideCopy) {
        result = await target.copy(sourceResourceIdentifier, targetResourceIdentifier, copyOptions);
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
      const nativeMd5 = sourceStat.checksums?.md5;
      const checksum: ExpectedChecksum | undefined = nativeMd5
        ? { algorithm: 'md5', value: nativeMd5 }
        : undefined;
      result = await streamCopy(sourceStat, checksum);
    }
    if (result.size !== sourceStat.size) {
      throw new AccessorIntegrityError({
        operation: 'transfer',
        resourceIdentifier: targetResourceIdentifier,
        message: `Size mismatch after copy to ${JSON.stringify(targetResourceIdentifier)}: source ${sourceStat.size}, target ${result.size}.`,
      });
    }
    if (verify && result.checksums.md5 && target.capabilities.checksums.includes('md5')) {
      const targetStat = await target.stat(targetResourceIdentifier);
      const stored = targetStat.checksums?.md5;
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
    return result;
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
