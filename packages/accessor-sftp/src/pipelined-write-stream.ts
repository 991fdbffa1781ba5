import { Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import { channelOpen } from './sftp-calls.js';

export interface PipelinedWriteOptions {
  /** Largest WRITE request in bytes. */
  chunkSize: number;
  /** WRITE requests in flight before the stream applies backpressure. */
  concurrency: number;
  /** Bytes the server acknowledged so far. */
  onProgress?: ((bytes: number) => void) | undefined;
}

/**
 * Writes to an open SFTP handle with many WRITE requests in flight (ssh2's
 * own WriteStream waits for each reply, which caps throughput at one round
 * trip per chunk). Takes chunks from any stream source; backpressure holds
 * the in-flight bytes under concurrency x chunkSize. `finish` fires only after
 * the server acknowledged every byte. The caller owns and closes the handle.
 */
export class PipelinedWriteStream extends Writable {
  /** Bytes acknowledged by the server. */
  acknowledged = 0;
  private offset = 0;
  private inFlight = 0;
  private failure: Error | undefined;
  private waiting: ((error?: Error | null) => void) | undefined;
  private finalCallback: ((error?: Error | null) => void) | undefined;
  private readonly limit: number;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly options: PipelinedWriteOptions,
  ) {
    super({ highWaterMark: options.chunkSize });
    this.limit = options.chunkSize * options.concurrency;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(chunk);
    this.afterSend(callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    // Small source chunks are merged into full-size requests.
    let batch: Buffer[] = [];
    let batchSize = 0;
    for (const { chunk } of chunks) {
      batch.push(chunk);
      batchSize += chunk.length;
      if (batchSize >= this.options.chunkSize) {
        this.send(Buffer.concat(batch, batchSize));
        batch = [];
        batchSize = 0;
      }
    }
    if (batchSize > 0) this.send(batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchSize));
    this.afterSend(callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.inFlight === 0) callback(this.failure);
    else this.finalCallback = callback;
  }

  private send(buffer: Buffer): void {
    for (let start = 0; start < buffer.length && !this.failure; start += this.options.chunkSize) {
      const piece = buffer.subarray(start, start + this.options.chunkSize);
      const position = this.offset;
      this.offset += piece.length;
      this.inFlight += piece.length;
      if (!channelOpen(this.sftp)) {
        this.settle(piece.length, new Error('Not connected: the SFTP channel is closed'));
        continue;
      }
      // ssh2 copies the bytes into its packet, so `piece` is free after this call.
      this.sftp.write(this.handle, piece, 0, piece.length, position, (error) =>
        this.settle(piece.length, error ?? undefined),
      );
    }
  }

  private settle(length: number, error: Error | undefined): void {
    this.inFlight -= length;
    if (error) this.failure ??= error;
    else {
      this.acknowledged += length;
      this.options.onProgress?.(this.acknowledged);
    }
    if (this.waiting && (this.failure || this.inFlight < this.limit)) {
      const callback = this.waiting;
      this.waiting = undefined;
      callback(this.failure);
    }
    if (this.finalCallback && this.inFlight === 0) {
      const callback = this.finalCallback;
      this.finalCallback = undefined;
      callback(this.failure);
    }
  }

  private afterSend(callback: (error?: Error | null) => void): void {
    if (this.failure || this.inFlight < this.limit) callback(this.failure);
    else this.waiting = callback;
  }
}
