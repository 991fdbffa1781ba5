import { Readable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import { channelOpen, sftpCalls } from './sftp-calls.js';

export interface PipelinedReadOptions {
  /** First byte (inclusive). */
  start: number;
  /** One past the last byte to read. */
  end: number;
  /** Bytes per READ request. */
  chunkSize: number;
  /** READ requests in flight. */
  concurrency: number;
  /** Map a failure to the error the stream is destroyed with. */
  mapError: (error: unknown) => Error;
  /** Called once when the stream is done with the handle (closed or destroyed). */
  onClose: () => void;
  /**
   * A READ of `length` bytes at `start` sent before the stream existed
   * (`readOnce`, with the fstat that told `end`): it becomes the first chunk,
   * completed by further READs if it came back short.
   */
  first?: { length: number; data: Promise<Buffer> } | undefined;
}

/** One READ request: up to `length` bytes at `position` (fewer at EOF, none past it). */
export async function readOnce(
  sftp: SFTPWrapper,
  handle: Buffer,
  position: number,
  length: number,
): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  return buffer.subarray(0, await sftpCalls.read(sftp, handle, buffer, 0, length, position));
}

/**
 * Reads an open SFTP handle with `concurrency` READ requests in flight, as
 * ssh2's fastGet does, but as a stream: chunks are pushed in order and new
 * requests go out only while the consumer keeps up, so memory stays within
 * concurrency x chunkSize. Short reads are completed; EOF ends the stream.
 */
export class PipelinedReadStream extends Readable {
  private position: number;
  private readonly end: number;
  private readonly queue: Array<{ length: number; data: Promise<Buffer> }> = [];
  private pumping = false;
  private finished = false;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly options: PipelinedReadOptions,
  ) {
    super({ highWaterMark: options.chunkSize });
    this.position = options.start;
    this.end = options.end;
    if (options.first) this.adoptFirst(options.first);
  }

  private adoptFirst(first: { length: number; data: Promise<Buffer> }): void {
    const start = this.position;
    const length = Math.min(first.length, this.end - start);
    if (length <= 0) return;
    const data = first.data.then(async (chunk) => {
      if (chunk.length >= length) return chunk.subarray(0, length);
      if (chunk.length === 0) return chunk;
      const rest = await this.readFully(start + chunk.length, length - chunk.length);
      return Buffer.concat([chunk, rest]);
    });
    data.catch(() => {});
    this.queue.push({ length, data });
    this.position += length;
  }

  override _read(): void {
    this.fill();
    if (!this.pumping) void this.pump();
  }

  private fill(): void {
    while (!this.finished && this.queue.length < this.options.concurrency && this.position < this.end) {
      const length = Math.min(this.options.chunkSize, this.end - this.position);
      const data = this.readFully(this.position, length);
      // Failures are reported in order by pump(); this keeps the later ones handled.
      data.catch(() => {});
      this.queue.push({ length, data });
      this.position += length;
    }
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (;;) {
        const head = this.queue[0];
        if (!head) {
          if (!this.destroyed) this.push(null);
          return;
        }
        const chunk = await head.data;
        this.queue.shift();
        if (this.destroyed) return;
        if (chunk.length < head.length) {
          // EOF before the expected end: the file shrank while we read it.
          this.finished = true;
          this.queue.length = 0;
        }
        const more = chunk.length > 0 ? this.push(chunk) : true;
        this.fill();
        if (!more) return;
      }
    } catch (error) {
      this.destroy(this.options.mapError(error));
    } finally {
      this.pumping = false;
    }
  }

  /** READ until `length` bytes arrived or EOF (ssh2 reports EOF as 0 bytes). */
  private async readFully(position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const count = await sftpCalls.read(
        this.sftp,
        this.handle,
        buffer,
        filled,
        length - filled,
        position + filled,
      );
      if (count === 0) break;
      filled += count;
    }
    return filled === length ? buffer : buffer.subarray(0, filled);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.finished = true;
    const done = () => {
      this.options.onClose();
      callback(error);
    };
    // The server answers requests in order, so CLOSE comes after the READs in flight.
    if (channelOpen(this.sftp)) this.sftp.close(this.handle, done);
    else done();
  }
}
