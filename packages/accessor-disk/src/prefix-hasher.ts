import type { FileHandle } from 'node:fs/promises';
import { type Checksums, createPrefixHashes, type ExpectedChecksum, type PrefixHashes } from '@stowage/core';

const READ_SIZE = 1024 * 1024;

/**
 * Hashes a range writer's temp file from byte 0 as the finished prefix grows,
 * while later ranges are still downloading, so `commit` only has the last
 * ranges left to read back (Azure's Content-MD5 check read the whole GiB
 * after the download: 1.7 s per GiB here). The bytes read are fresh in the
 * page cache. One read of READ_SIZE at a time: memory stays one buffer.
 */
export class PrefixHasher {
  private readonly hashes: PrefixHashes;
  private readonly buffer = Buffer.allocUnsafe(READ_SIZE);
  private hashed = 0;
  private available = 0;
  private running: Promise<void> | undefined;
  private failure: unknown;
  private stopped = false;

  constructor(
    private readonly handle: FileHandle,
    readonly algorithms: ExpectedChecksum['algorithm'][],
  ) {
    this.hashes = createPrefixHashes(algorithms);
  }

  /** Bytes [0, offset) are written: hash them in the background. */
  advance(offset: number): void {
    if (offset <= this.available) return;
    this.available = offset;
    if (!this.running && !this.stopped) this.running = this.run();
  }

  /** The digests of bytes [0, size), after hashing whatever is left. */
  async finish(size: number): Promise<Checksums> {
    this.advance(size);
    while (this.running) await this.running;
    if (this.failure !== undefined) throw this.failure;
    if (this.hashed !== size)
      throw new Error(`Hashed ${this.hashed} of ${size} bytes: the hasher was stopped.`);
    const checksums: Checksums = {};
    for (const [algorithm, hash] of Object.entries(this.hashes)) {
      checksums[algorithm as keyof Checksums] = hash.digest('hex');
    }
    return checksums;
  }

  /** Stop reading (abort): the handle is about to close. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.running) await this.running.catch(() => {});
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped && this.hashed < this.available) {
        const length = Math.min(READ_SIZE, this.available - this.hashed);
        const { bytesRead } = await this.handle.read(this.buffer, 0, length, this.hashed);
        if (bytesRead === 0)
          throw new Error(`The temp file ends at ${this.hashed} bytes, before the written prefix.`);
        const chunk = this.buffer.subarray(0, bytesRead);
        for (const hash of Object.values(this.hashes)) hash.update(chunk);
        this.hashed += bytesRead;
      }
    } catch (error) {
      this.failure ??= error;
      this.stopped = true;
    } finally {
      // Cleared in the same tick the loop ends, so a later advance starts a new run.
      this.running = undefined;
    }
  }
}
