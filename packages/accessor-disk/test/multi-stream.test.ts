import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AccessorIntegrityError,
  AccessorResourceExistsError,
  type Checkpoint,
  MemoryAccessor,
  MemoryCheckpointStore,
  type ReadStreamOptions,
  type ResourceStat,
  transferFile,
} from '@stowage/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskAccessor } from '../src/index.js';

const KiB = 1024;
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
// Small ranges so a few MiB exercise many parts.
const MULTI = { threshold: 1, partSize: 256 * KiB, streams: 4 };

/** A memory source that counts ranged reads, their bytes and how many run at once; optionally claims an MD5. */
class CountingSource extends MemoryAccessor {
  reads = 0;
  bytes = 0;
  open = 0;
  maxOpen = 0;
  claimedMd5: string | undefined;
  /** Download ranges starting here or later send nothing until their read is aborted. */
  holdFrom = Number.POSITIVE_INFINITY;

  override async stat(resourceIdentifier: string): Promise<ResourceStat> {
    const stat = await super.stat(resourceIdentifier);
    return this.claimedMd5 ? { ...stat, checksums: { md5: this.claimedMd5 } } : stat;
  }

  override async createReadStream(resourceIdentifier: string, options: ReadStreamOptions = {}) {
    // Only the download's ranges (the fingerprint reads a whole MiB).
    const length = (options.end ?? Number.POSITIVE_INFINITY) - (options.start ?? 0) + 1;
    if ((options.start ?? 0) >= this.holdFrom && length <= MULTI.partSize) {
      const held = new Readable({ read() {} });
      if (options.signal?.aborted) held.destroy(new Error('aborted'));
      options.signal?.addEventListener('abort', () => held.destroy(new Error('aborted')), { once: true });
      return held;
    }
    const inner = await super.createReadStream(resourceIdentifier, options);
    this.reads++;
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    const self = this;
    async function* counted() {
      try {
        for await (const chunk of inner as AsyncIterable<Buffer>) {
          // Let the other ranges run, as a network source would.
          await new Promise((resolve) => setImmediate(resolve));
          self.bytes += chunk.length;
          yield chunk;
        }
      } finally {
        self.open--;
      }
    }
    return Readable.from(counted(), { objectMode: false });
  }
}

let dir: string;
let disk: DiskAccessor;
let source: CountingSource;
let data: Buffer;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-multi-stream-'));
  disk = new DiskAccessor({ prefix: dir });
  source = new CountingSource();
  data = randomBytes(4 * 1024 * KiB + 123);
  await source.write('big.bin', data);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A multi-stream download of big.bin from `from` publishes nothing while the
 * source's native MD5 is wrong, and succeeds with it once it is right.
 */
async function expectNativeMd5Checked(from: CountingSource): Promise<void> {
  from.claimedMd5 = md5(Buffer.from('something else'));
  await expect(
    transferFile(from, 'big.bin', disk, 'big.bin', { multiStream: MULTI, retries: 0 }),
  ).rejects.toBeInstanceOf(AccessorIntegrityError);
  expect(await readdir(dir)).toEqual([]);
  from.claimedMd5 = md5(data);
  const result = await transferFile(from, 'big.bin', disk, 'big.bin', { multiStream: MULTI });
  expect(result.checksums).toEqual({ md5: md5(data) });
}

/**
 * A download of big.bin that stops once a checkpoint covers its first
 * quarter: the second half never arrives, so the abort always comes first.
 */
async function interruptedDownload() {
  const controller = new AbortController();
  source.holdFrom = data.length / 2;
  const store = new (class extends MemoryCheckpointStore {
    override async save(key: string, checkpoint: Checkpoint): Promise<void> {
      await super.save(key, checkpoint);
      if ((checkpoint.state.offset as number) >= data.length / 4) controller.abort();
    }
  })();
  const checkpoints = { store, key: 'k', threshold: 1 };
  await expect(
    transferFile(source, 'big.bin', disk, 'big.bin', {
      multiStream: MULTI,
      checkpoints,
      signal: controller.signal,
    }),
  ).rejects.toThrow();
  source.holdFrom = Number.POSITIVE_INFINITY;
  return checkpoints;
}

describe('multi-stream download into a DiskAccessor', () => {
  it('reads the file in parallel ranges and publishes identical bytes, reporting progress', async () => {
    const progress: number[] = [];
    const result = await transferFile(source, 'big.bin', disk, 'big.bin', {
      multiStream: MULTI,
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(result).toEqual({ size: data.length, checksums: {} });
    expect((await readFile(join(dir, 'big.bin'))).equals(data)).toBe(true);
    expect(source.reads).toBe(Math.ceil(data.length / MULTI.partSize));
    expect(source.maxOpen).toBeGreaterThan(1);
    expect(source.maxOpen).toBeLessThanOrEqual(MULTI.streams);
    expect(progress.at(-1)).toBe(data.length);
    expect(progress.every((bytes, index) => index === 0 || bytes >= progress[index - 1]!)).toBe(true);
    expect(await readdir(dir)).toEqual(['big.bin']);
  });

  it('hashes the published bytes with checksums: always', async () => {
    const result = await transferFile(source, 'big.bin', disk, 'big.bin', {
      multiStream: MULTI,
      checksums: 'always',
    });
    expect(result.checksums).toEqual({ md5: md5(data) });
  });

  it('streams files below the threshold, and when turned off', async () => {
    await transferFile(source, 'big.bin', disk, 'a.bin', { multiStream: { ...MULTI, threshold: 64 << 20 } });
    await transferFile(source, 'big.bin', disk, 'b.bin', { multiStream: false });
    expect(source.reads).toBe(2);
    expect((await readFile(join(dir, 'b.bin'))).equals(data)).toBe(true);
  });

  it("checks the source's native MD5 before publishing: a mismatch leaves nothing", async () => {
    await expectNativeMd5Checked(source);
  });

  it('still checks the native MD5 when the whole-file read that would have checked it is dropped for ranges', async () => {
    // As Azure's openRead: the stream checks Content-MD5 itself, but a
    // multi-stream download closes that stream and reads ranges instead.
    const verifying = new (class extends CountingSource {
      async openRead(resourceIdentifier: string) {
        return {
          stream: await super.createReadStream(resourceIdentifier),
          stat: await this.stat(resourceIdentifier),
          verified: true,
        };
      }
    })();
    await verifying.write('big.bin', data);
    await expectNativeMd5Checked(verifying);
  });

  it('never overwrites an existing target and leaves no temp file', async () => {
    await writeFile(join(dir, 'big.bin'), 'keep me');
    await expect(
      transferFile(source, 'big.bin', disk, 'big.bin', { multiStream: MULTI }),
    ).rejects.toBeInstanceOf(AccessorResourceExistsError);
    expect(await readFile(join(dir, 'big.bin'), 'utf8')).toBe('keep me');
    expect(await readdir(dir)).toEqual(['big.bin']);
  });

  it('keeps an aborted download with a checkpoint and resumes it, reading only what was missing', async () => {
    const checkpoints = await interruptedDownload();
    const store = checkpoints.store;
    const saved = await store.load('k');
    expect(saved?.state.offset).toBeGreaterThan(0);
    const partial = await readdir(dir);
    expect(partial).toHaveLength(1);
    expect(partial[0]).toMatch(/\.stowage-[0-9a-f]{12}\.tmp$/);

    const before = source.bytes;
    const result = await transferFile(source, 'big.bin', disk, 'big.bin', {
      multiStream: MULTI,
      checkpoints,
      checksums: 'always',
    });
    expect(result.resumedFrom).toBe(saved?.state.offset);
    // What was missing, plus the source fingerprint (its first and last MiB) that proves it unchanged.
    expect(source.bytes - before).toBe(data.length - (result.resumedFrom ?? 0) + 2 * 1024 * KiB);
    expect(result.checksums).toEqual({ md5: md5(data) });
    expect((await readFile(join(dir, 'big.bin'))).equals(data)).toBe(true);
    expect(await readdir(dir)).toEqual(['big.bin']);
    expect(await store.load('k')).toBeUndefined();
  });

  it('starts over when the source changed after the interruption', async () => {
    const checkpoints = await interruptedDownload();
    const changed = randomBytes(data.length);
    await source.write('big.bin', changed);
    const result = await transferFile(source, 'big.bin', disk, 'big.bin', {
      multiStream: MULTI,
      checkpoints,
    });
    expect(result.resumedFrom).toBeUndefined();
    expect((await readFile(join(dir, 'big.bin'))).equals(changed)).toBe(true);
    expect(await readdir(dir)).toEqual(['big.bin']);
  });
});
