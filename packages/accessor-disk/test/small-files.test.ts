import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AccessorIntegrityError,
  AccessorResourceExistsError,
  DEFAULT_SMALL_FILE_THREADS,
  LocalFileThreads,
  OperationAbortedError,
  sharedLocalFileThreads,
} from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { DiskAccessor, SMALL_FILE_BYTES } from '../src/disk-accessor.js';

const md5 = (data: Uint8Array | string) => createHash('md5').update(data).digest('hex');

async function root(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'stowage-disk-small-'));
}

/** Two disk locations side by side, `from` and `to`, for copies. */
async function twoDisks() {
  const base = await root();
  await mkdir(join(base, 'from'));
  await mkdir(join(base, 'to'));
  return {
    base,
    source: new DiskAccessor({ prefix: join(base, 'from') }),
    target: new DiskAccessor({ prefix: join(base, 'to') }),
  };
}

/** Everything under `dir`, temp files included (they start with a dot). */
async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe('DiskAccessor small-file threads', () => {
  const stats = sharedLocalFileThreads(DEFAULT_SMALL_FILE_THREADS).stats;

  it('publishes small writes of a known size on a thread, with the checksums asked for', async () => {
    const base = await root();
    const accessor = new DiskAccessor({ prefix: base });
    const before = stats.published;
    const data = Buffer.alloc(SMALL_FILE_BYTES, 7);
    const result = await accessor.write(
      'a.bin',
      Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
      {
        size: data.length,
        overwrite: false,
        checksums: ['md5', 'sha256'],
      },
    );
    expect(stats.published).toBe(before + 1);
    expect(result).toEqual({
      size: data.length,
      checksums: { md5: md5(data), sha256: createHash('sha256').update(data).digest('hex') },
    });
    expect((await readFile(join(base, 'a.bin'))).equals(data)).toBe(true);
    expect(await entries(base)).toEqual(['a.bin']);
  });

  it('streams writes above one chunk, of unknown size, or resumable, as before', async () => {
    const base = await root();
    const accessor = new DiskAccessor({ prefix: base });
    const before = stats.publishes;
    const large = Buffer.alloc(SMALL_FILE_BYTES + 1, 1);
    await accessor.write('large.bin', large, { size: large.length });
    await accessor.write('unknown.bin', 'no size');
    expect(stats.publishes).toBe(before);
    expect((await readFile(join(base, 'large.bin'))).equals(large)).toBe(true);
    expect(await readFile(join(base, 'unknown.bin'), 'utf8')).toBe('no size');
  });

  it('publishes many concurrent files intact', async () => {
    const base = await root();
    await mkdir(join(base, 'seq'));
    const accessor = new DiskAccessor({ prefix: base });
    const frames = Array.from({ length: 200 }, (_, index) => Buffer.alloc(4096 + index, index % 251));
    const results = await Promise.all(
      frames.map((frame, index) =>
        accessor.write(`seq/f.${String(index).padStart(4, '0')}.exr`, frame, {
          size: frame.length,
          overwrite: false,
          checksum: { algorithm: 'md5', value: md5(frame).toUpperCase() },
        }),
      ),
    );
    expect(results.map((result) => result.checksums.md5)).toEqual(frames.map((frame) => md5(frame)));
    const names = await readdir(join(base, 'seq'));
    expect(names).toHaveLength(200);
    for (const [index, frame] of frames.entries())
      expect(
        (await readFile(join(base, 'seq', `f.${String(index).padStart(4, '0')}.exr`))).equals(frame),
      ).toBe(true);
  });

  it('refuses a checksum mismatch before publishing, leaving nothing behind', async () => {
    const base = await root();
    const accessor = new DiskAccessor({ prefix: base });
    await expect(
      accessor.write('a.bin', 'payload', {
        size: 7,
        checksum: { algorithm: 'md5', value: md5('something else') },
      }),
    ).rejects.toBeInstanceOf(AccessorIntegrityError);
    expect(await entries(base)).toEqual([]);
  });

  it('stops a source that sends more than its size, without gathering the rest', async () => {
    const base = await root();
    const accessor = new DiskAccessor({ prefix: base });
    let sent = 0;
    async function* endless() {
      for (;;) {
        sent += 1;
        yield Buffer.alloc(1024, 1);
      }
    }
    await expect(accessor.write('a.bin', endless(), { size: 4096 })).rejects.toMatchObject({
      name: 'AccessorIntegrityError',
      details: { expectedSize: 4096, actualSize: 5120 },
    });
    // Readable.from reads one item ahead.
    expect(sent).toBeLessThanOrEqual(6);
    await expect(accessor.write('b.bin', 'short', { size: 4096 })).rejects.toBeInstanceOf(
      AccessorIntegrityError,
    );
    expect(await entries(base)).toEqual([]);
  });

  it('takes the bytes of a source that yields strings', async () => {
    const base = await root();
    const accessor = new DiskAccessor({ prefix: base });
    const source = Readable.from([Buffer.from('héllo')]);
    source.setEncoding('utf8');
    await accessor.write('a.txt', source, { size: Buffer.byteLength('héllo') });
    expect(await readFile(join(base, 'a.txt'), 'utf8')).toBe('héllo');
  });

  it('reports progress as the bytes arrive', async () => {
    const base = await root();
    const accessor = new DiskAccessor({ prefix: base });
    const seen: number[] = [];
    await accessor.write('a.bin', Readable.from([Buffer.alloc(100), Buffer.alloc(50)]), {
      size: 150,
      onProgress: (bytes) => seen.push(bytes),
    });
    expect(seen).toEqual([100, 150]);
  });

  it('aborts while gathering, and a failing source fails the write, leaving nothing', async () => {
    const base = await root();
    const accessor = new DiskAccessor({ prefix: base });
    const controller = new AbortController();
    async function* stalls() {
      yield Buffer.alloc(10);
      controller.abort();
      await new Promise(() => {});
    }
    await expect(
      accessor.write('a.bin', stalls(), { size: 4096, signal: controller.signal }),
    ).rejects.toBeInstanceOf(OperationAbortedError);
    async function* fails() {
      yield Buffer.alloc(10);
      throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    }
    await expect(accessor.write('b.bin', fails(), { size: 4096 })).rejects.toMatchObject({
      name: 'AccessorOperationFailedError',
    });
    expect(await entries(base)).toEqual([]);
  });

  it('copies small files between disk locations in one job, large ones streamed', async () => {
    const { base, source, target } = await twoDisks();
    const small = Buffer.alloc(5000, 9);
    const large = Buffer.alloc(SMALL_FILE_BYTES + 1, 8);
    await source.write('small.bin', small);
    await source.write('large.bin', large);
    const { copies, published } = stats;
    expect(
      await target.copyFrom(source, 'small.bin', 'small.bin', { overwrite: false, checksums: ['md5'] }),
    ).toEqual({ size: 5000, checksums: { md5: md5(small) } });
    expect(stats.copies).toBe(copies + 1);
    expect(stats.published).toBe(published + 1);
    expect(await target.copyFrom(source, 'large.bin', 'large.bin', { checksums: ['md5'] })).toEqual({
      size: large.length,
      checksums: { md5: md5(large) },
    });
    expect(stats.published).toBe(published + 1);
    expect((await readFile(join(base, 'to', 'small.bin'))).equals(small)).toBe(true);
    expect((await readFile(join(base, 'to', 'large.bin'))).equals(large)).toBe(true);
    expect(await entries(join(base, 'to'))).toEqual(['large.bin', 'small.bin']);
  });

  it('a small copy refuses an existing target and reports a missing source by its identifier', async () => {
    const { base, source, target } = await twoDisks();
    await source.write('a.bin', 'new');
    await target.write('a.bin', 'old');
    await expect(target.copyFrom(source, 'a.bin', 'a.bin', { overwrite: false })).rejects.toBeInstanceOf(
      AccessorResourceExistsError,
    );
    expect(await readFile(join(base, 'to', 'a.bin'), 'utf8')).toBe('old');
    await expect(target.copyFrom(source, 'missing.bin', 'b.bin')).rejects.toMatchObject({
      name: 'AccessorResourceNotFoundError',
      resourceIdentifier: 'missing.bin',
    });
    expect(await entries(join(base, 'to'))).toEqual(['a.bin']);
  });

  it('refuses a bad smallFileThreads value', () => {
    expect(() => new DiskAccessor({ prefix: '/tmp', smallFileThreads: -1 })).toThrow(RangeError);
    expect(() => new DiskAccessor({ prefix: '/tmp', smallFileThreads: 1.5 })).toThrow(RangeError);
  });
});

describe('LocalFileThreads publish', () => {
  it('hands the bytes back when it cannot write, for the streamed path to retry', async () => {
    const base = await root();
    const writer = new LocalFileThreads(1);
    try {
      const data = new Uint8Array(new ArrayBuffer(3));
      data.set([1, 2, 3]);
      const outcome = await writer.publish({
        realPrefix: base,
        folder: join(base, 'missing'),
        name: 'a.bin',
        tempName: '.a.bin.stowage-000000000000.tmp',
        data,
        fsync: true,
        overwrite: false,
        algorithms: [],
      });
      expect(outcome).toMatchObject({ ok: false, stage: 'folder' });
      expect(outcome.ok === false && [...(outcome.data ?? [])]).toEqual([1, 2, 3]);
      expect(writer.stats).toEqual({ reads: 0, publishes: 1, copies: 0, published: 0, fallbacks: 1 });
    } finally {
      await writer.close();
    }
  });

  it('refuses a folder that resolves outside the real root', async () => {
    const base = await root();
    const outside = await root();
    const writer = new LocalFileThreads(1);
    try {
      const outcome = await writer.publish({
        realPrefix: base,
        folder: outside,
        name: 'a.bin',
        tempName: '.a.bin.stowage-000000000000.tmp',
        data: new Uint8Array(new ArrayBuffer(1)),
        fsync: false,
        overwrite: true,
        algorithms: [],
      });
      expect(outcome).toMatchObject({ ok: false, stage: 'folder' });
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await writer.close();
    }
  });
});
