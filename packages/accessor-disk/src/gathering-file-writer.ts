import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { WRITE_BATCH_BYTES, WRITE_BATCH_CHUNKS } from '@stowage/core';
import { ProgressiveSync } from './progressive-sync.js';
import { writevAll } from './writev-all.js';

export interface GatheringFileWriterOptions {
  /** Where the first byte goes (a resumed write continues at its offset). */
  start?: number;
  /**
   * fsync before close, so a published file survives a power loss (large
   * files are also flushed progressively while written: ProgressiveSync).
   */
  flush?: boolean;
  /** With `flush`: the background flushes (default true; off where checkpoints already flush as often). */
  progressive?: boolean;
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
    super({ highWaterMark: WRITE_BATCH_BYTES });
    this.handle = handle;
    this.position = options.start ?? 0;
    this.sync = options.flush && options.progressive !== false ? new ProgressiveSync(handle) : undefined;
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
    if (this.gathered < WRITE_BATCH_BYTES && this.pieces.length < WRITE_BATCH_CHUNKS) {
      callback();
      return;
    }
    this.flushPieces().then(() => callback(), callback);
  }

  private async flushPieces(): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error('The file writer is closed.');
    const pieces = this.pieces;
    this.pieces = [];
    this.gathered = 0;
    const written = await writevAll(handle, pieces, this.position, (bytes) => this.sync?.written(bytes));
    this.position += written;
    this.bytesWritten += written;
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
