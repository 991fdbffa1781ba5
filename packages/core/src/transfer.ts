import { createHash } from 'node:crypto';
import type { Accessor, WriteResult } from './accessor.js';
import { AccessorIntegrityError, AccessorResourceExistsError, appearedDuringWrite } from './errors.js';
import { withRetry } from './retry.js';
import type { ExpectedChecksum } from './streams.js';

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

  async function copyOnce(): Promise<WriteResult> {
    const sourceStat = await source.stat(sourceResourceIdentifier);
    const copyOptions = { overwrite, ...(options.signal ? { signal: options.signal } : {}) };
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
      if (result) options.onProgress?.(result.size);
    }
    if (!result) {
      const nativeMd5 = sourceStat.checksums?.md5;
      const checksum: ExpectedChecksum | undefined = nativeMd5
        ? { algorithm: 'md5', value: nativeMd5 }
        : undefined;
      const stream = await source.createReadStream(
        sourceResourceIdentifier,
        options.signal ? { signal: options.signal } : {},
      );
      try {
        result = await target.write(targetResourceIdentifier, stream, {
          size: sourceStat.size,
          ...(checksum ? { checksum } : {}),
          checksums: ['md5'],
          overwrite,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
      } finally {
        stream.destroy();
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
