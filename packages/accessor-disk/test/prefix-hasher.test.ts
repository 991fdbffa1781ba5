import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessorIntegrityError } from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { DiskAccessor } from '../src/index.js';
import { PrefixHasher } from '../src/prefix-hasher.js';

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');
const MiB = 1024 * 1024;

describe('PrefixHasher', () => {
  it('hashes the finished prefix as it grows, ranges written out of order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stowage-prefix-'));
    const data = randomBytes(5 * MiB + 123);
    const handle = await open(join(dir, 'f'), 'wx+');
    try {
      await handle.truncate(data.length);
      const hasher = new PrefixHasher(handle, ['md5', 'sha256']);
      const ranges = [3, 0, 4, 1, 5, 2].map((i) => [i * MiB, Math.min(data.length, (i + 1) * MiB)] as const);
      const done = new Set<number>();
      let prefix = 0;
      for (const [start, end] of ranges) {
        await handle.write(data, start, end - start, start);
        done.add(start);
        while (done.has(prefix)) prefix = Math.min(data.length, prefix + MiB);
        hasher.advance(prefix);
      }
      const digests = await hasher.finish(data.length);
      expect(digests.md5).toBe(md5(data));
      expect(digests.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    } finally {
      await handle.close();
    }
  });

  it('a stopped hasher refuses to report digests of part of the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stowage-prefix-'));
    const handle = await open(join(dir, 'f'), 'wx+');
    try {
      await handle.write(randomBytes(2 * MiB), 0, 2 * MiB, 0);
      const hasher = new PrefixHasher(handle, ['md5']);
      await hasher.stop();
      await expect(hasher.finish(2 * MiB)).rejects.toThrow(/stopped/);
    } finally {
      await handle.close();
    }
  });
});

describe('DiskRangeWriter with checksums hashed while ranges arrive', () => {
  it('publishes when the expected MD5 matches, and nothing when it does not', async () => {
    const prefix = await mkdtemp(join(tmpdir(), 'stowage-range-'));
    const accessor = new DiskAccessor({ prefix });
    const data = randomBytes(3 * MiB + 7);
    for (const [name, expected] of [
      ['good.bin', md5(data)],
      ['bad.bin', md5(randomBytes(16))],
    ] as const) {
      const writer = await accessor.openRangeWriter(name, { size: data.length, checksums: ['md5'] });
      for (const start of [3 * MiB, 2 * MiB, 0, MiB]) {
        await writer.write(data.subarray(start, Math.min(data.length, start + MiB)), start);
        if (start === 0) writer.contiguous?.(MiB);
      }
      writer.contiguous?.(data.length);
      const commit = writer.commit({ checksum: { algorithm: 'md5', value: expected } });
      if (name === 'good.bin') {
        expect((await commit).checksums.md5).toBe(md5(data));
      } else {
        await expect(commit).rejects.toBeInstanceOf(AccessorIntegrityError);
        await writer.abort();
      }
    }
    expect(await readdir(prefix)).toEqual(['good.bin']);
    expect(md5(await readFile(join(prefix, 'good.bin')))).toBe(md5(data));
  });
});
