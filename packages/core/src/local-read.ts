import { constants, createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { addAbortSignal, Readable } from 'node:stream';
import type { OpenedRead, ResourceStat } from './accessor.js';
import {
  AccessorIntegrityError,
  AccessorResourceInvalidError,
  OperationAbortedError,
  StowageError,
} from './errors.js';
import type { LocalFileThreads } from './local-file-threads.js';

/** Local files up to this size are read whole when opened: one read, no stream of reads. */
export const WHOLE_READ_BYTES = 1024 * 1024;

/** The chunk of a streamed local read. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * `openRead` of a local file (with `threads`, small files in one job on a
 * local-file thread): open, fstat of that same descriptor (the size
 * belongs to the file being read, and the engine needs no separate stat),
 * then the whole file in one read when small (a frame, a thumbnail), else a
 * 1 MiB-chunk stream that owns the descriptor. A small file is read one byte
 * past its size, so one that grew since the fstat still fails the transfer's
 * size check, as a stream reading to the end would.
 */
export async function openLocalRead(
  path: string,
  resourceIdentifier: string,
  mapError: (error: unknown) => Error,
  options: {
    signal?: AbortSignal;
    threads?: LocalFileThreads | undefined;
    wholeBytes?: number | undefined;
  } = {},
): Promise<OpenedRead> {
  const { signal, threads } = options;
  const wholeBytes = Math.min(options.wholeBytes ?? WHOLE_READ_BYTES, WHOLE_READ_BYTES);
  if (signal?.aborted) throw new OperationAbortedError(undefined, { cause: signal.reason });
  if (threads) {
    // One job on a local-file thread: open, fstat and, for a small file, the read.
    const outcome = await threads.read(path, wholeBytes);
    if (!outcome.ok && outcome.error.code !== undefined) throw mapError(outcome.error);
    if (outcome.ok) {
      if (outcome.isDirectory)
        throw new AccessorResourceInvalidError({ operation: 'read', resourceIdentifier });
      const stat = { size: outcome.size, isContainer: false, modified: outcome.modified };
      if (outcome.data) {
        const data = Buffer.from(outcome.data.buffer, outcome.data.byteOffset, outcome.data.byteLength);
        return { stat, stream: Readable.from([data], { objectMode: false }), data };
      }
      // A larger file: streamed, opened by the first read.
      return {
        stat,
        stream: openOnFirstRead(path, resourceIdentifier, stat, outcome.identity, mapError, signal),
      };
    }
    // The thread ended: the streamed read below.
  }
  const handle = await openMapped(path, mapError);
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new AccessorResourceInvalidError({ operation: 'read', resourceIdentifier });
    const stat = { size: info.size, isContainer: false, modified: info.mtime };
    if (info.size > wholeBytes)
      return {
        stat,
        stream: createReadStream('', {
          fd: handle,
          highWaterMark: CHUNK_BYTES,
          ...(signal ? { signal } : {}),
        }),
      };
    const data = Buffer.allocUnsafe(info.size + 1);
    let filled = 0;
    while (filled < data.length) {
      const { bytesRead } = await handle.read(data, filled, data.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    await handle.close();
    const read = data.subarray(0, filled);
    return { stat, stream: Readable.from([read], { objectMode: false }), data: read };
  } catch (error) {
    await handle.close().catch(() => {});
    throw error instanceof StowageError ? error : mapError(error);
  }
}

/**
 * The streamed read of a file a local-file thread has opened and fstat'ed:
 * the main thread opens it on the first read, so an opened read nobody reads
 * (a fast path that reads the file itself, a multi-stream copy) costs no
 * second open, fstat and close. What it opens must still be the file the
 * thread saw (same inode, size and modification time), or the read fails with a
 * transient integrity error and the engine opens the file afresh.
 */
function openOnFirstRead(
  path: string,
  resourceIdentifier: string,
  stat: ResourceStat,
  identity: { inode: number; modifiedMs: number },
  mapError: (error: unknown) => Error,
  signal: AbortSignal | undefined,
): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    const handle = await openMapped(path, mapError);
    try {
      const info = await handle.stat();
      if (info.size !== stat.size || info.ino !== identity.inode || info.mtimeMs !== identity.modifiedMs)
        throw new AccessorIntegrityError({
          operation: 'read',
          resourceIdentifier,
          message: `${resourceIdentifier} changed between its open and its first read.`,
          details: { expectedSize: stat.size, actualSize: info.size },
          transient: true,
        });
      for (;;) {
        const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
        if (bytesRead === 0) return;
        yield bytesRead < CHUNK_BYTES ? buffer.subarray(0, bytesRead) : buffer;
      }
    } finally {
      await handle.close().catch(() => {});
    }
  }
  // The default high-water mark holds one chunk ahead, as a file stream of 1 MiB chunks would.
  const stream = Readable.from(chunks(), { objectMode: false });
  return signal ? addAbortSignal(signal, stream) : stream;
}

/** The file opened for reading, an OS error as the accessor's typed error. */
async function openMapped(path: string, mapError: (error: unknown) => Error): Promise<FileHandle> {
  try {
    return await open(path, constants.O_RDONLY);
  } catch (error) {
    throw mapError(error);
  }
}
