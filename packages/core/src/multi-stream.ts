import type { Accessor, RangeWriter } from './accessor.js';
import { readInBatches, WRITE_BATCH_BYTES, WRITE_BATCH_CHUNKS } from './chunk-batches.js';
import { positiveIntegerFromEnv } from './env.js';
import { AccessorIntegrityError } from './errors.js';

/** How the engine downloads a large file in parallel ranges (rclone's multi-thread copy). */
export interface MultiStreamOptions {
  /** Ranges in flight at once (default 4, or STOWAGE_MULTI_STREAMS; 1 turns it off). */
  streams?: number;
  /** Smallest file worth splitting (default 64 MiB, or STOWAGE_MULTI_STREAM_THRESHOLD bytes). */
  threshold?: number;
  /** Bytes per range (default 16 MiB): one request each, and the checkpoint granularity. */
  partSize?: number;
}

const MiB = 1024 * 1024;

export function defaultMultiStreamOptions(): Required<MultiStreamOptions> {
  return {
    streams: positiveIntegerFromEnv('STOWAGE_MULTI_STREAMS', process.env.STOWAGE_MULTI_STREAMS) ?? 4,
    threshold:
      positiveIntegerFromEnv('STOWAGE_MULTI_STREAM_THRESHOLD', process.env.STOWAGE_MULTI_STREAM_THRESHOLD) ??
      64 * MiB,
    partSize: 16 * MiB,
  };
}

export interface CopyRangesOptions {
  source: Accessor;
  sourceResourceIdentifier: string;
  writer: RangeWriter;
  size: number;
  /** Bytes [0, offset) are already in the writer (a resumed download). */
  offset: number;
  streams: number;
  partSize: number;
  signal?: AbortSignal | undefined;
  /** Bytes of the file written so far, counting `offset` (reported per gathered write). */
  onProgress?: ((bytes: number) => void) | undefined;
  /** The run of finished ranges from byte 0 grew to `offset`: safe to checkpoint. */
  onContiguous?: ((offset: number) => void) | undefined;
}

/**
 * Read [offset, size) of the source in `partSize` ranges, `streams` at a
 * time, each written at its position. Memory: streams x (2 x WRITE_BATCH_BYTES,
 * one batch being written and one gathering, + the source stream's buffer).
 * The first failure stops the other ranges.
 */
export async function copyRanges(options: CopyRangesOptions): Promise<void> {
  const { size, offset, partSize } = options;
  const parts: Array<{ start: number; end: number }> = [];
  for (let start = offset; start < size; start += partSize)
    parts.push({ start, end: Math.min(size, start + partSize) });

  const controller = new AbortController();
  const stop = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) stop();
  options.signal?.addEventListener('abort', stop, { once: true });

  let next = 0;
  let transferred = offset;
  const finished = new Set<number>();
  let contiguous = 0;
  let failure: unknown;

  const copyPart = async ({ start, end }: { start: number; end: number }) => {
    const stream = await options.source.createReadStream(options.sourceResourceIdentifier, {
      start,
      end: end - 1,
      signal: controller.signal,
    });
    // Socket-sized chunks gathered into WRITE_BATCH_BYTES positioned writes, handed
    // over as a list (one writev, no copy) where the writer takes one.
    let position = start;
    const writeGathered = async (chunks: Buffer[], length: number) => {
      if (position + length > end) throw rangeError(start, end, 'more');
      if (options.writer.writeChunks) await options.writer.writeChunks(chunks, position);
      else
        await options.writer.write(
          chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length),
          position,
        );
      position += length;
      transferred += length;
      options.onProgress?.(transferred);
    };
    try {
      await readInBatches(stream, {
        batchBytes: WRITE_BATCH_BYTES,
        maxChunks: WRITE_BATCH_CHUNKS,
        onBatch: writeGathered,
      });
    } finally {
      stream.destroy();
    }
    if (position !== end) throw rangeError(start, end, 'fewer');
  };

  const rangeError = (start: number, end: number, what: string) =>
    new AccessorIntegrityError({
      operation: 'read',
      resourceIdentifier: options.sourceResourceIdentifier,
      message: `The source returned ${what} bytes than the range ${start}-${end - 1} holds.`,
      transient: true,
    });

  const worker = async () => {
    // No new range once stopped: a read opened with an aborted signal is a wasted request.
    while (next < parts.length && failure === undefined && !controller.signal.aborted) {
      const index = next++;
      try {
        await copyPart(parts[index]!);
      } catch (error) {
        failure ??= error;
        controller.abort();
        return;
      }
      finished.add(index);
      const before = contiguous;
      while (finished.delete(contiguous)) contiguous++;
      if (contiguous > before)
        options.onContiguous?.(contiguous < parts.length ? parts[contiguous]!.start : size);
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(options.streams, parts.length) }, worker));
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
  if (failure !== undefined) throw failure;
  options.signal?.throwIfAborted();
}
