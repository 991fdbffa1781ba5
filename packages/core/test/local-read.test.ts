import { appendFile, mkdir, readdir, readlink, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AccessorIntegrityError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  DEFAULT_SMALL_FILE_THREADS,
  MemoryAccessor,
  OperationAbortedError,
  OriginAccessor,
  readAll,
  sharedLocalFileThreads,
  transferFile,
  WHOLE_READ_BYTES,
} from '../src/index.js';
import { tempDir } from './helpers.js';

describe.each([
  ['on the local-file threads', {}],
  ['on the main thread', { smallFileThreads: 0 }],
])('openRead of local files (OriginAccessor, %s)', (_label, options) => {
  const origin = new OriginAccessor(options);

  it('returns the fstat with the bytes, small files read whole and large ones streamed', async () => {
    const dir = await tempDir();
    for (const size of [0, 1, 4096, WHOLE_READ_BYTES, WHOLE_READ_BYTES + 1, 3 * WHOLE_READ_BYTES + 5]) {
      const data = Buffer.alloc(size);
      for (let index = 0; index < size; index++) data[index] = (index * 7) % 256;
      const path = join(dir, `f${size}.bin`);
      await writeFile(path, data);
      const opened = await origin.openRead(path);
      expect(opened.stat).toMatchObject({ size, isContainer: false });
      expect(opened.stat.modified).toBeInstanceOf(Date);
      // A file read whole says so: `data` is what the stream yields; a streamed one has none.
      if (size <= WHOLE_READ_BYTES) expect(Buffer.from(opened.data!).equals(data)).toBe(true);
      else expect(opened.data).toBeUndefined();
      expect((await readAll(opened.stream)).equals(data)).toBe(true);
    }
  });

  it('refuses a folder and a missing file with typed errors, and an aborted signal', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'sub'));
    await expect(origin.openRead(join(dir, 'sub'))).rejects.toBeInstanceOf(AccessorResourceInvalidError);
    await expect(origin.openRead(join(dir, 'missing.bin'))).rejects.toBeInstanceOf(
      AccessorResourceNotFoundError,
    );
    await writeFile(join(dir, 'a.bin'), 'a');
    await expect(origin.openRead(join(dir, 'a.bin'), { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      OperationAbortedError,
    );
  });

  it('the transfer engine copies through it', async () => {
    const dir = await tempDir();
    const path = join(dir, 'frame.exr');
    await writeFile(path, Buffer.alloc(5000, 3));
    const target = new MemoryAccessor();
    // A file read whole reaches the target's write as its bytes, not as a stream.
    const sources: unknown[] = [];
    const write = target.write.bind(target);
    target.write = (id, source, options) => {
      sources.push(source);
      return write(id, source, options);
    };
    const result = await transferFile(origin, path, target, 'frame.exr', { overwrite: false });
    expect(sources).toHaveLength(1);
    expect(sources[0]).toBeInstanceOf(Uint8Array);
    expect(result.size).toBe(5000);
    expect((await readAll(await target.createReadStream('frame.exr'))).equals(Buffer.alloc(5000, 3))).toBe(
      true,
    );
  });
});

describe('local-file threads', () => {
  it('serve small reads of the origin, and not large ones', async () => {
    const dir = await tempDir();
    const stats = sharedLocalFileThreads(DEFAULT_SMALL_FILE_THREADS).stats;
    await writeFile(join(dir, 'small.bin'), Buffer.alloc(10, 1));
    await writeFile(join(dir, 'large.bin'), Buffer.alloc(WHOLE_READ_BYTES + 1, 2));
    const origin = new OriginAccessor();
    const reads = stats.reads;
    const small = await origin.openRead(join(dir, 'small.bin'));
    expect(stats.reads).toBe(reads + 1);
    expect((await readAll(small.stream)).equals(Buffer.alloc(10, 1))).toBe(true);
    // The thread only stats a large file; the main thread streams it.
    const large = await origin.openRead(join(dir, 'large.bin'));
    expect(stats.reads).toBe(reads + 2);
    expect((await readAll(large.stream)).equals(Buffer.alloc(WHOLE_READ_BYTES + 1, 2))).toBe(true);
    const off = new OriginAccessor({ smallFileThreads: 0 });
    await readAll((await off.openRead(join(dir, 'small.bin'))).stream);
    expect(stats.reads).toBe(reads + 2);
  });

  it('open a large file on its first read: an opened read nobody reads holds no descriptor', async () => {
    const dir = await tempDir();
    const origin = new OriginAccessor();
    const data = Buffer.alloc(WHOLE_READ_BYTES + 1, 4);
    const paths = [0, 1, 2, 3, 4].map((index) => join(dir, `f${index}.bin`));
    for (const path of paths) await writeFile(path, data);
    // Which of `paths` this process has open now (other tests' descriptors are not ours to count).
    const openHere = async () => {
      const targets = await Promise.all(
        (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
      );
      return paths.filter((path) => targets.includes(path));
    };
    const opened = await Promise.all(paths.map((path) => origin.openRead(path)));
    expect(opened.map((read) => read.stat.size)).toEqual(Array(5).fill(data.length));
    expect(await openHere()).toEqual([]);
    for (const read of opened.slice(1)) read.stream.destroy();
    expect((await readAll(opened[0]!.stream)).equals(data)).toBe(true);
    expect(await openHere()).toEqual([]);
  });

  it('fail the first read of a large file moved away or changed since its fstat, typed', async () => {
    const dir = await tempDir();
    const origin = new OriginAccessor();
    const path = join(dir, 'large.bin');
    await writeFile(path, Buffer.alloc(WHOLE_READ_BYTES + 1, 5));
    const moved = await origin.openRead(path);
    await rename(path, join(dir, 'moved.bin'));
    await expect(readAll(moved.stream)).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
    await rename(join(dir, 'moved.bin'), path);
    const grown = await origin.openRead(path);
    await appendFile(path, 'x');
    const error = await readAll(grown.stream).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AccessorIntegrityError);
    // Transient: the engine's retry opens the file afresh.
    expect(error).toMatchObject({ transient: true, details: { expectedSize: WHOLE_READ_BYTES + 1 } });
    const controller = new AbortController();
    const aborted = await origin.openRead(path, { signal: controller.signal });
    controller.abort();
    await expect(readAll(aborted.stream)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('let the transfer engine retry a large file that changed before its first read', async () => {
    const dir = await tempDir();
    const path = join(dir, 'plate.exr');
    await writeFile(path, Buffer.alloc(WHOLE_READ_BYTES + 10, 6));
    const origin = new OriginAccessor();
    const openRead = origin.openRead.bind(origin);
    let opens = 0;
    origin.openRead = async (id, options) => {
      const opened = await openRead(id, options);
      // The first time only: the file grows after its fstat, before the stream reads it.
      if (opens++ === 0) await appendFile(path, Buffer.alloc(5, 7));
      return opened;
    };
    const target = new MemoryAccessor();
    const result = await transferFile(origin, path, target, 'plate.exr', { overwrite: false });
    const expected = Buffer.concat([Buffer.alloc(WHOLE_READ_BYTES + 10, 6), Buffer.alloc(5, 7)]);
    expect(opens).toBe(2);
    expect(result.size).toBe(expected.length);
    expect((await readAll(await target.createReadStream('plate.exr'))).equals(expected)).toBe(true);
  });

  it('refuse a bad thread count', () => {
    expect(() => new OriginAccessor({ smallFileThreads: -1 })).toThrow(RangeError);
    expect(() => new OriginAccessor({ smallFileThreads: 0.5 })).toThrow(RangeError);
  });
});
