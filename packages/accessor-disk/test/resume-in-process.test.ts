import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChaosAccessor,
  type Checkpoint,
  ComponentTransferError,
  MemoryCheckpointStore,
  OriginAccessor,
  Session,
  transferFile,
} from '@stowage/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskAccessor } from '../src/index.js';

const MiB = 1024 * 1024;
let dir: string;
let source: string;
let sourceBytes: Buffer;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-disk-resume-'));
  source = join(dir, 'plate.bin');
  sourceBytes = randomBytes(40 * MiB);
  await writeFile(source, sourceBytes);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('DiskAccessor resume within one process', () => {
  it('a retry after a transient mid-stream failure continues the temp file', async () => {
    const disk = new DiskAccessor({ prefix: join(dir, 'target') });
    await disk.makeContainer('', true);
    // The first write breaks after 20 MiB; the retry must not start from 0.
    const chaos = new ChaosAccessor(disk, [{ operation: 'write', afterBytes: 20 * MiB, times: 1 }]);
    const store = new MemoryCheckpointStore();
    const result = await transferFile(new OriginAccessor(), source, chaos, 'plate.bin', {
      checkpoints: { store, key: 'k', threshold: 1 },
      fastPaths: false,
    });
    expect(result.resumedFrom).toBeGreaterThanOrEqual(8 * MiB);
    expect(result.resumedFrom).toBeLessThanOrEqual(20 * MiB);
    expect(sha256(await readFile(join(dir, 'target', 'plate.bin')))).toBe(sha256(sourceBytes));
    expect(store.size).toBe(0);
    expect(await readdir(join(dir, 'target'))).toEqual(['plate.bin']); // no temp file left
  });

  it('a non-transient failure discards the partial upload and its checkpoint', async () => {
    const disk = new DiskAccessor({ prefix: join(dir, 'target') });
    await disk.makeContainer('', true);
    const chaos = new ChaosAccessor(disk, [
      { operation: 'write', afterBytes: 20 * MiB, times: 1, transient: false },
    ]);
    const store = new MemoryCheckpointStore();
    await expect(
      transferFile(new OriginAccessor(), source, chaos, 'plate.bin', {
        checkpoints: { store, key: 'k', threshold: 1 },
        fastPaths: false,
      }),
    ).rejects.toThrow();
    expect(store.size).toBe(0);
    expect(await readdir(join(dir, 'target'))).toEqual([]);
  });

  it('files under the threshold are written without a checkpoint', async () => {
    const disk = new DiskAccessor({ prefix: join(dir, 'target') });
    await disk.makeContainer('', true);
    const store = new MemoryCheckpointStore();
    let saves = 0;
    const counting = {
      ...store,
      load: store.load.bind(store),
      remove: store.remove.bind(store),
      lock: store.lock.bind(store),
      save: async (...args: Parameters<MemoryCheckpointStore['save']>) => {
        saves++;
        await store.save(...args);
      },
    };
    await transferFile(new OriginAccessor(), source, disk, 'plate.bin', {
      checkpoints: { store: counting, key: 'k', threshold: 64 * MiB },
      fastPaths: false,
    });
    expect(saves).toBe(0);
  });

  it('a second transfer of the same key while the first holds the lock writes without resuming', async () => {
    const disk = new DiskAccessor({ prefix: join(dir, 'target') });
    await disk.makeContainer('', true);
    const store = new MemoryCheckpointStore();
    const release = await store.lock('k');
    expect(release).toBeDefined();
    let saves = 0;
    const watched = {
      ...store,
      load: store.load.bind(store),
      remove: store.remove.bind(store),
      lock: store.lock.bind(store),
      save: async (...args: Parameters<MemoryCheckpointStore['save']>) => {
        saves++;
        await store.save(...args);
      },
    };
    const result = await transferFile(new OriginAccessor(), source, disk, 'plate.bin', {
      checkpoints: { store: watched, key: 'k', threshold: 1 },
      fastPaths: false,
    });
    expect(result.size).toBe(sourceBytes.length);
    expect(saves).toBe(0);
    await release?.();
  });

  it("the fingerprint's head comes from the read the copy opened: two more reads (tail, copy), not three", async () => {
    const sourceDisk = new DiskAccessor({ prefix: dir });
    const target = new DiskAccessor({ prefix: join(dir, 'target') });
    await target.makeContainer('', true);
    const reads: Array<{ start?: number; end?: number }> = [];
    const createReadStream = sourceDisk.createReadStream.bind(sourceDisk);
    sourceDisk.createReadStream = (resourceIdentifier, options = {}) => {
      reads.push({ start: options.start, end: options.end });
      return createReadStream(resourceIdentifier, options);
    };
    const store = new MemoryCheckpointStore();
    const saved: Checkpoint[] = [];
    const watched = {
      ...store,
      load: store.load.bind(store),
      remove: store.remove.bind(store),
      lock: store.lock.bind(store),
      save: async (key: string, checkpoint: Checkpoint) => {
        saved.push(checkpoint);
        await store.save(key, checkpoint);
      },
    };
    const result = await transferFile(sourceDisk, 'plate.bin', target, 'plate.bin', {
      checkpoints: { store: watched, key: 'k', threshold: 1 },
      fastPaths: false,
    });
    expect(result.size).toBe(sourceBytes.length);
    expect(sha256(await readFile(join(dir, 'target', 'plate.bin')))).toBe(sha256(sourceBytes));
    // openRead's stream is not counted: no range read of the head, then the tail, then the copy.
    expect(reads).toEqual([
      { start: sourceBytes.length - MiB, end: sourceBytes.length - 1 },
      { start: 0, end: undefined },
    ]);
    // The head in the checkpoints is the SHA-256 of the first MiB, taken from the copy's own read.
    expect(saved.length).toBeGreaterThan(1);
    expect(saved[0]?.source.head).toBe(sha256(sourceBytes.subarray(0, MiB)));
    expect(saved[0]?.source.tail).toBe(sha256(sourceBytes.subarray(-MiB)));
    expect(store.size).toBe(0);
  });

  it('resuming from a checkpoint, the copy reopens the source at the offset', async () => {
    const sourceDisk = new DiskAccessor({ prefix: dir });
    const target = new DiskAccessor({ prefix: join(dir, 'target') });
    await target.makeContainer('', true);
    const chaos = new ChaosAccessor(target, [{ operation: 'write', afterBytes: 20 * MiB, times: 1 }]);
    const reads: Array<number | undefined> = [];
    const createReadStream = sourceDisk.createReadStream.bind(sourceDisk);
    sourceDisk.createReadStream = (resourceIdentifier, options = {}) => {
      reads.push(options.start);
      return createReadStream(resourceIdentifier, options);
    };
    const store = new MemoryCheckpointStore();
    const result = await transferFile(sourceDisk, 'plate.bin', chaos, 'plate.bin', {
      checkpoints: { store, key: 'k', threshold: 1 },
      fastPaths: false,
    });
    expect(result.resumedFrom).toBeGreaterThanOrEqual(8 * MiB);
    expect(reads).toContain(result.resumedFrom);
    expect(sha256(await readFile(join(dir, 'target', 'plate.bin')))).toBe(sha256(sourceBytes));
    expect(await readdir(join(dir, 'target'))).toEqual(['plate.bin']);
  });

  it('addComponent resumes what a failed addComponent of the same component left', async () => {
    const store = new MemoryCheckpointStore();
    const session = new Session({ pluginPaths: [], checkpoints: store });
    const disk = new DiskAccessor({ prefix: join(dir, 'target') });
    await disk.makeContainer('', true);
    const location = session.createLocation({
      name: 'studio',
      accessor: new ChaosAccessor(disk, [{ operation: 'write', afterBytes: 24 * MiB, times: 1 }]),
      structure: { getResourceIdentifier: () => 'plate.bin' },
    });
    const component = await session.createComponent(source, {}, null);
    const error = await location
      .addComponent(component, session.origin, { fastPaths: false, retries: 0 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ComponentTransferError);
    expect(await location.getComponentAvailability(component)).toBe(0);
    expect(store.size).toBe(1); // the checkpoint outlives the failed call

    const progress: number[] = [];
    await location.addComponent(component, session.origin, {
      fastPaths: false,
      onProgress: (update) => progress.push(update.bytesDone),
    });
    expect(await location.getComponentAvailability(component)).toBe(100);
    expect(store.size).toBe(0);
    // Progress starts where the first call stopped, not at zero.
    expect(progress[0]).toBeGreaterThanOrEqual(8 * MiB);
    expect(sha256(await readFile(join(dir, 'target', 'plate.bin')))).toBe(sha256(sourceBytes));
  });
});
