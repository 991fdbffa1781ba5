import { Writable } from 'node:stream';
import { OperationAbortedError } from '@stowage/core';
import type { SFTPWrapper } from 'ssh2';
import { channelOpen, sftpCalls } from './sftp-calls.js';

export interface PipelinedWriteOptions {
  /** Largest WRITE request in bytes. */
  chunkSize: number;
  /** WRITE requests in flight before the stream applies backpressure. */
  concurrency: number;
  /** Bytes the server acknowledged so far (counting `start`). */
  onProgress?: ((bytes: number) => void) | undefined;
  /** File position of the first byte (a resumed write continues at its offset). Default 0. */
  start?: number | undefined;
  /**
   * Called as the contiguous acknowledged prefix grows: every byte before
   * this position is at the server (requests complete out of order, so a
   * count of acknowledged bytes may hide a hole; this never does).
   */
  onContiguous?: ((position: number) => void) | undefined;
  /**
   * Close the handle (after an fsync@openssh.com when `fsync`) as soon as the
   * last WRITE is sent, without waiting for the replies: a server processes
   * the requests about one file in the order it got them (SFTP v3 draft,
   * section 6), so the close still follows every write. `finish` waits for
   * all of them. One round trip less per file; the caller must not use the
   * handle afterwards (`closeSent`). Default: the caller closes.
   */
  closeOnFinish?: { fsync: boolean } | undefined;
}

/**
 * Writes to an open SFTP handle with many WRITE requests in flight (ssh2's
 * own WriteStream waits for each reply, which caps throughput at one round
 * trip per chunk). Takes chunks from any stream source; backpressure holds
 * the in-flight bytes under concurrency x chunkSize. `finish` fires only after
 * the server acknowledged every byte. The caller owns and closes the handle,
 * unless `closeOnFinish` hands the close to the stream.
 */
export class PipelinedWriteStream extends Writable {
  /** Whether the stream sent the handle's close (`closeOnFinish`); then the handle is no longer the caller's. */
  closeSent = false;
  /** Bytes acknowledged by the server (counting `start`). */
  acknowledged: number;
  /** Position up to which every byte is acknowledged: the resumable prefix. */
  contiguous: number;
  private offset: number;
  private inFlight = 0;
  /** Requests in the order they were sent, until the prefix before them is acknowledged. */
  private readonly sent: Array<{ end: number; done: boolean }> = [];
  private failure: Error | undefined;
  private waiting: ((error?: Error | null) => void) | undefined;
  private finalCallback: (() => void) | undefined;
  private readonly limit: number;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly options: PipelinedWriteOptions,
  ) {
    super({ highWaterMark: options.chunkSize });
    this.limit = options.chunkSize * options.concurrency;
    this.offset = options.start ?? 0;
    this.acknowledged = this.offset;
    this.contiguous = this.offset;
  }

  /**
   * Send `bytes` as the whole content and end: resolves once the server
   * acknowledged every byte (and the close, with `closeOnFinish`). For bytes
   * in hand, where a stream pipeline per file costs more than the write.
   */
  endWith(bytes: Buffer, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        this.destroy();
        return reject(new OperationAbortedError(undefined, { cause: signal.reason }));
      }
      const onAbort = () => this.destroy(new OperationAbortedError(undefined, { cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (error?: Error | null) => {
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve();
      };
      this.once('error', settle);
      this.end(bytes, () => settle(this.errored));
    });
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
    const closing = this.options.closeOnFinish ? this.sendClose(this.options.closeOnFinish.fsync) : undefined;
    const finish = () => {
      if (!closing) callback(this.failure);
      else
        closing.then(
          () => callback(this.failure),
          (error: Error) => callback(this.failure ?? error),
        );
    };
    if (this.inFlight === 0) finish();
    else this.finalCallback = finish;
  }

  private sendClose(fsync: boolean): Promise<void> {
    this.closeSent = true;
    const requests: Promise<unknown>[] = [];
    if (fsync) requests.push(sftpCalls.fsync(this.sftp, this.handle));
    requests.push(sftpCalls.close(this.sftp, this.handle));
    return Promise.all(requests).then(() => {});
  }

  private send(buffer: Buffer): void {
    for (let start = 0; start < buffer.length && !this.failure; start += this.options.chunkSize) {
      const piece = buffer.subarray(start, start + this.options.chunkSize);
      const position = this.offset;
      this.offset += piece.length;
      this.inFlight += piece.length;
      const request = { end: this.offset, done: false };
      this.sent.push(request);
      if (!channelOpen(this.sftp)) {
        this.settle(request, piece.length, new Error('Not connected: the SFTP channel is closed'));
        continue;
      }
      // ssh2 copies the bytes into its packet, so `piece` is free after this call.
      this.sftp.write(this.handle, piece, 0, piece.length, position, (error) =>
        this.settle(request, piece.length, error ?? undefined),
      );
    }
  }

  private settle(request: { end: number; done: boolean }, length: number, error: Error | undefined): void {
    this.inFlight -= length;
    if (error) this.failure ??= error;
    else {
      this.acknowledged += length;
      this.options.onProgress?.(this.acknowledged);
      // A failed request stays undone, so the prefix never grows past it.
      request.done = true;
      let advanced = false;
      while (this.sent[0]?.done) {
        this.contiguous = this.sent.shift()!.end;
        advanced = true;
      }
      if (advanced) this.options.onContiguous?.(this.contiguous);
    }
    if (this.waiting && (this.failure || this.inFlight < this.limit)) {
      const callback = this.waiting;
      this.waiting = undefined;
      callback(this.failure);
    }
    if (this.finalCallback && this.inFlight === 0) {
      const finish = this.finalCallback;
      this.finalCallback = undefined;
      finish();
    }
  }

  private afterSend(callback: (error?: Error | null) => void): void {
    if (this.failure || this.inFlight < this.limit) callback(this.failure);
    else this.waiting = callback;
  }
}
