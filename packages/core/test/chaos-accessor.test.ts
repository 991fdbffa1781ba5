import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AccessorOperationFailedError,
  ChaosAccessor,
  ComponentTransferError,
  isTransientError,
  MemoryAccessor,
  readAll,
  Session,
  seededRandom,
} from '../src/index.js';
import { TestStructure, tempDir, writeFrames } from './helpers.js';

describe('ChaosAccessor', () => {
  it('fails after N calls, N times, then lets calls through', async () => {
    const chaos = new ChaosAccessor(new MemoryAccessor(), [{ operation: 'stat', after: 1, times: 2 }]);
    await chaos.makeContainer('a');
    await expect(chaos.stat('a')).resolves.toMatchObject({ isContainer: true });
    await expect(chaos.stat('a')).rejects.toBeInstanceOf(AccessorOperationFailedError);
    const error = await chaos.stat('a').catch((e: unknown) => e);
    expect(isTransientError(error)).toBe(true);
    await expect(chaos.stat('a')).resolves.toMatchObject({ isContainer: true });
    expect(chaos.injected.get('stat')).toBe(2);
  });

  it('cuts a write mid-stream and the target stays clean', async () => {
    const inner = new MemoryAccessor();
    const chaos = new ChaosAccessor(inner, [{ operation: 'write', afterBytes: 100_000, times: 1 }]);
    const data = Buffer.alloc(300_000, 7);
    await expect(chaos.write('f.bin', data)).rejects.toThrow(/Injected write failure/);
    expect(await inner.exists('f.bin')).toBe(false);
    await chaos.write('f.bin', data);
    expect((await readAll(await inner.createReadStream('f.bin'))).equals(data)).toBe(true);
  });

  it('fails at a seeded ratio, repeatably', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
  });

  it('transient write failures are retried by the transfer engine: the sequence lands whole', async () => {
    const session = new Session({ pluginPaths: [] });
    const inner = new MemoryAccessor();
    const chaos = new ChaosAccessor(inner, [{ operation: 'write', ratio: 0.3, afterBytes: 1000 }], {
      seed: 7,
    });
    const location = session.createLocation({
      name: 'flaky',
      accessor: chaos,
      structure: new TestStructure(),
      priority: 1,
    });
    const dir = await tempDir();
    await writeFrames(dir, 20, 4096);
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-20]'), {}, null);
    await location.addComponent(sequence, session.origin, { retries: 10 });
    expect(chaos.injected.get('write')).toBeGreaterThan(0);
    expect(await location.getComponentAvailability(sequence)).toBe(100);
    expect(await inner.list(sequence.id)).toHaveLength(20);
  });

  it('permanent failures leave nothing registered and nothing at the target', async () => {
    const session = new Session({ pluginPaths: [] });
    const inner = new MemoryAccessor();
    const chaos = new ChaosAccessor(inner, [{ operation: 'write', after: 2, transient: false }]);
    const location = session.createLocation({
      name: 'broken',
      accessor: chaos,
      structure: new TestStructure(),
      priority: 1,
    });
    const dir = await tempDir();
    await writeFrames(dir, 6, 1024);
    await writeFile(join(dir, 'x.txt'), 'x');
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-6]'), {}, null);
    const error = await location
      .addComponent(sequence, session.origin, { concurrency: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComponentTransferError);
    expect((error as ComponentTransferError).transferred).toHaveLength(2);
    expect(await location.getComponentAvailability(sequence)).toBe(0);
    expect(await inner.list(sequence.id)).toEqual([]);
  });
});
