import type { FileHandle } from 'node:fs/promises';
import { unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  AccessorOperationFailedError,
  assertIntegrity,
  type ExpectedChecksum,
  type RangeWriter,
  type ResumeState,
  requestedAlgorithms,
  type WriteResult,
} from '@stowage/core';
import { mapFsError } from './map-error.js';
import { PrefixHasher } from './prefix-hasher.js';
import { ProgressiveSync } from './progressive-sync.js';
import { writevAll } from './writev-all.js';

export interface DiskRangeWriterParts {
  handle: FileHandle;
  temp: string;
  resourceIdentifier: string;
  size: number;
  fsync: boolean;
  /** Checksums to compute while ranges arrive (RangeWriterOptions.checksums). */
  checksums?: ExpectedChecksum['algorithm'][] | undefined;
  /** Bytes [0, offset) already in the temp file (a resumed download). */
  offset?: number | undefined;
  /** Size and requested checksums of the temp file, read back, made durable when fsync is on. */
  settle(
    temp: string,
    options: { checksums: ExpectedChecksum['algorithm'][]; signal?: AbortSignal },
  ): Promise<WriteResult>;
  /** Move the temp file into place (link without overwrite). */
  publish(temp: string): Promise<void>;
}

/**
 * Ranges of a multi-stream download written at their positions (pwrite)
 * into a hidden temp file of the final size, published by rename or link
 * only after the size (and any requested checksum) is checked.
 */
export class DiskRangeWriter implements RangeWriter {
  private handle: FileHandle | undefined;
  private done = false;
  private readonly hasher: PrefixHasher | undefined;
  /** With fsync on, the device writes while ranges still arrive, so commit's fsync is short. */
  private readonly sync: ProgressiveSync | undefined;

  constructor(private readonly parts: DiskRangeWriterParts) {
    this.handle = parts.handle;
    this.sync = parts.fsync ? new ProgressiveSync(parts.handle) : undefined;
    if (parts.checksums?.length) {
      this.hasher = new PrefixHasher(parts.handle, parts.checksums);
      this.hasher.advance(parts.offset ?? 0);
    }
  }

  contiguous(offset: number): void {
    this.hasher?.advance(offset);
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    const handle = this.open();
    let written = 0;
    try {
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
        written += bytesWritten;
        this.sync?.written(bytesWritten);
      }
    } catch (error) {
      throw mapFsError(error, 'write', this.parts.resourceIdentifier);
    }
  }

  async writeChunks(chunks: Uint8Array[], position: number): Promise<void> {
    const handle = this.open();
    try {
      await writevAll(handle, chunks, position, (bytes) => this.sync?.written(bytes));
    } catch (error) {
      throw mapFsError(error, 'write', this.parts.resourceIdentifier);
    }
  }

  /** A checkpoint counts only bytes flushed to the device, so a power loss cannot make it count a torn range. */
  async checkpoint(offset: number): Promise<ResumeState> {
    if (this.parts.fsync)
      await this.open()
        .datasync()
        .catch((error: unknown) => {
          throw mapFsError(error, 'write', this.parts.resourceIdentifier);
        });
    return { temp: basename(this.parts.temp), offset };
  }

  async commit(
    options: {
      checksums?: ExpectedChecksum['algorithm'][];
      checksum?: ExpectedChecksum;
      signal?: AbortSignal;
    } = {},
  ): Promise<WriteResult> {
    const algorithms = requestedAlgorithms(options);
    // Hashed while the ranges arrived: only the tail is read back here.
    const hasher = this.hasher;
    const early =
      hasher &&
      algorithms.length > 0 &&
      algorithms.every((algorithm) => hasher.algorithms.includes(algorithm))
        ? await hasher.finish(this.parts.size).catch((error: unknown) => {
            throw mapFsError(error, 'write', this.parts.resourceIdentifier);
          })
        : undefined;
    // An unused hasher stops before the descriptor it reads is closed.
    if (!early) await hasher?.stop();
    await this.sync?.settle().catch((error: unknown) => {
      throw mapFsError(error, 'write', this.parts.resourceIdentifier);
    });
    await this.close();
    const settled = await this.parts.settle(this.parts.temp, {
      checksums: early ? [] : algorithms,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const result = early ? { ...settled, checksums: early } : settled;
    assertIntegrity(this.parts.resourceIdentifier, result, {
      size: this.parts.size,
      checksum: options.checksum,
    });
    await this.parts.publish(this.parts.temp);
    this.done = true;
    // As `write`: the digests of every algorithm measured.
    return { size: result.size, checksums: result.checksums };
  }

  async abort(keep = false): Promise<void> {
    await this.hasher?.stop();
    await this.sync?.stop();
    await this.close();
    if (!keep && !this.done) {
      this.done = true;
      await unlink(this.parts.temp).catch(() => {});
    }
  }

  private open(): FileHandle {
    if (!this.handle)
      throw new AccessorOperationFailedError({
        operation: 'write',
        resourceIdentifier: this.parts.resourceIdentifier,
        message: 'The range writer is closed.',
      });
    return this.handle;
  }

  private async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}
