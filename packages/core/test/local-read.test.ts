import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
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

  it('refuse a bad thread count', () => {
    expect(() => new OriginAccessor({ smallFileThreads: -1 })).toThrow(RangeError);
    expect(() => new OriginAccessor({ smallFileThreads: 0.5 })).toThrow(RangeError);
  });
});
