import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { ProgressiveSync } from './progressive-sync.js';

/** Bytes gathered before one file write (a socket yields 16-64 KiB pieces). */
const WRITE_BYTES = 1024 * 1024;
/** At most this many pieces per writev (the OS limit for one call is 1,024). */
const MAX_PIECES = 256;

export interface GatheringFileWriterOptions {
  /** Where the first byte goes (a resumed write continues at its offset). */
  start?: number;
  /**
   * fsync before close, so a published file survives a power loss (large
   * files are also flushed progressively while written: ProgressiveSync).
   */
  flush?: boolean;
}

/**
 * Writes a stream into an open file in writes of about 1 MiB, each one
 * writev of the pieces as they came, never copied into a bigger buffer:
 * a socket's 64 KiB pieces written one by one cost a thread hand-off each,
 * and gathering them with Buffer.concat cost a copy plus a fresh 1 MiB
 * allocation per write (about 0.3 s of the main thread per GiB here).
 * While a write is in flight the stream buffers up to 1 MiB more, so the
 * source keeps reading. Owns the handle: closed after the last write (and
 * the fsync with `flush`), or when the stream is destroyed.
 */
export class GatheringFileWriter extends Writable {
  /** Bytes handed to the file so far (not counting the ones still gathered). */
  bytesWritten = 0;
  private position: number;
  private pieces: Buffer[] = [];
  private gathered = 0;
  private handle: FileHandle | undefined;
  private readonly sync: ProgressiveSync | undefined;

  constructor(
    handle: FileHandle,
    private readonly options: GatheringFileWriterOptions = {},
  ) {
    super({ highWaterMark: WRITE_BYTES });
    this.handle = handle;
    this.position = options.start ?? 0;
    this.sync = options.flush ? new ProgressiveSync(handle) : undefined;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.gather([chunk], callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this.gather(
      chunks.map(({ chunk }) => chunk),
      callback,
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finish().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    if (!handle) {
      callback(error);
      return;
    }
    const closed = async () => {
      await this.sync?.stop();
      await handle.close();
    };
    closed().then(
      () => callback(error),
      (closeError: Error) => callback(error ?? closeError),
    );
  }

  private gather(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    for (const chunk of chunks) {
      this.pieces.push(chunk);
      this.gathered += chunk.length;
    }
    if (this.gathered < WRITE_BYTES && this.pieces.length < MAX_PIECES) {
      callback();
      return;
    }
    this.flushPieces().then(() => callback(), callback);
  }

  private async flushPieces(): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error('The file writer is closed.');
    let pieces = this.pieces;
    let length = this.gathered;
    this.pieces = [];
    this.gathered = 0;
    while (length > 0) {
      const { bytesWritten } = await handle.writev(pieces, this.position);
      this.position += bytesWritten;
      this.bytesWritten += bytesWritten;
      length -= bytesWritten;
      this.sync?.written(bytesWritten);
      // A short writev (rare for files): the rest of the pieces again.
      if (length > 0) pieces = remainder(pieces, bytesWritten);
    }
  }

  private async finish(): Promise<void> {
    if (this.gathered > 0) await this.flushPieces();
    const handle = this.handle;
    if (!handle) return;
    await this.sync?.settle();
    if (this.options.flush) await handle.sync();
    this.handle = undefined;
    await handle.close();
  }
}

/** The pieces after the first `skip` bytes. */
function remainder(pieces: Buffer[], skip: number): Buffer[] {
  const rest: Buffer[] = [];
  for (const piece of pieces) {
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    rest.push(skip > 0 ? piece.subarray(skip) : piece);
    skip = 0;
  }
  return rest;
}
