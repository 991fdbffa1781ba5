import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OriginAccessor, transferFile } from '@stowage/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DiskAccessor } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-disk-copy-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('the copyFile fast path hashes the copy before publishing it when asked', async () => {
  const bytes = randomBytes(3 * 1024 * 1024 + 5);
  await writeFile(join(dir, 'source.bin'), bytes);
  const disk = new DiskAccessor({ prefix: join(dir, 'target') });
  await disk.makeContainer('', true);
  const origin = new OriginAccessor();
  const hashed = await disk.copyFrom(origin, join(dir, 'source.bin'), 'a.bin', { checksums: ['md5'] });
  expect(hashed).toEqual({
    size: bytes.length,
    checksums: { md5: createHash('md5').update(bytes).digest('hex') },
  });
  expect(await disk.copyFrom(origin, join(dir, 'source.bin'), 'b.bin')).toEqual({
    size: bytes.length,
    checksums: {},
  });
  expect(await readdir(join(dir, 'target'))).toEqual(['a.bin', 'b.bin']);
});

it('transferFile hashes fast-path copies with checksums: always, not by default (nothing to compare)', async () => {
  const bytes = randomBytes(1024 * 1024);
  await writeFile(join(dir, 'source.bin'), bytes);
  const disk = new DiskAccessor({ prefix: join(dir, 'target') });
  await disk.makeContainer('', true);
  const origin = new OriginAccessor();
  const hashed = await transferFile(origin, join(dir, 'source.bin'), disk, 'a.bin', { checksums: 'always' });
  expect(hashed.checksums.md5).toBe(createHash('md5').update(bytes).digest('hex'));
  const unhashed = await transferFile(origin, join(dir, 'source.bin'), disk, 'b.bin');
  expect(unhashed).toEqual({ size: bytes.length, checksums: {} });
  const unverified = await transferFile(origin, join(dir, 'source.bin'), disk, 'c.bin', { verify: false });
  expect(unverified.checksums).toEqual({});
});
