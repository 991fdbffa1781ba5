import { lstat, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AccessorParentResourceNotFoundError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  MemoryAccessor,
  OriginAccessor,
  readAll,
} from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { DiskAccessor, mapFsError } from '../src/index.js';

async function root(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'stowage-disk-'));
}

describe('DiskAccessor confinement', () => {
  it('a sibling folder sharing the prefix string is outside (/x/proj vs /x/proj2)', async () => {
    const base = await root();
    await mkdir(join(base, 'proj'));
    await mkdir(join(base, 'proj2'));
    await writeFile(join(base, 'proj2', 'secret.txt'), 'secret');
    const accessor = new DiskAccessor({ prefix: join(base, 'proj') });
    await expect(accessor.stat('../proj2/secret.txt')).rejects.toBeInstanceOf(
      AccessorResourceIdentifierError,
    );
    // A symlink named like the sibling is followed and refused too.
    await symlink(join(base, 'proj2'), join(base, 'proj', 'link'));
    await expect(accessor.createReadStream('link/secret.txt')).rejects.toBeInstanceOf(
      AccessorResourceIdentifierError,
    );
  });

  it('symlinks that stay inside the root are fine', async () => {
    const base = await root();
    await mkdir(join(base, 'real'));
    await writeFile(join(base, 'real', 'a.txt'), 'a');
    await symlink(join(base, 'real'), join(base, 'alias'));
    const accessor = new DiskAccessor({ prefix: base });
    expect((await readAll(await accessor.createReadStream('alias/a.txt'))).toString()).toBe('a');
  });

  it('resolves a relative prefix and reports file:// URLs', async () => {
    const base = await root();
    const accessor = new DiskAccessor({ prefix: base });
    await accessor.write('u.txt', 'u');
    expect(await accessor.getUrl('u.txt')).toBe(`file://${join(base, 'u.txt')}`);
    expect(accessor.getFilesystemPath('')).toBe(base);
  });
});

describe('DiskAccessor writes', () => {
  it('leaves no temp file after a failed write', async () => {
    const base = await root();
    const accessor = new DiskAccessor({ prefix: base });
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(100_000));
        this.destroy(new Error('network dropped'));
      },
    });
    await expect(accessor.write('f.bin', failing)).rejects.toThrow();
    expect(await readdir(base)).toEqual([]);
  });

  it('hides in-progress temp files from list', async () => {
    const base = await root();
    await writeFile(join(base, '.shot.exr.stowage-0123456789ab.tmp'), 'partial');
    await writeFile(join(base, 'shot.exr'), 'done');
    expect(await new DiskAccessor({ prefix: base }).list('')).toEqual(['shot.exr']);
  });

  it('copyFrom uses copyFile from another disk accessor or the origin, and not from others', async () => {
    const a = new DiskAccessor({ prefix: await root() });
    const b = new DiskAccessor({ prefix: await root() });
    await a.write('src.bin', Buffer.alloc(70_000, 5));
    const result = await b.copyFrom(a, 'src.bin', 'dst.bin', { overwrite: false });
    expect(result?.size).toBe(70_000);
    expect((await readAll(await b.createReadStream('dst.bin'))).equals(Buffer.alloc(70_000, 5))).toBe(true);
    const origin = await b.copyFrom(new OriginAccessor(), a.getFilesystemPath('src.bin'), 'o.bin');
    expect(origin?.size).toBe(70_000);
    expect(await b.copyFrom(new MemoryAccessor(), 'x', 'y')).toBeUndefined();
  });
});

// Writes below 4 MiB with a known size skip the early lstat of the target and
// resolve only its folder: the same errors must come out of the publish step.
describe.each([
  ['small, size known, on the small-file threads', 4, {}],
  ['small, size known, streamed', 4, { smallFileThreads: 0 }],
  ['size unknown', undefined, {}],
])('DiskAccessor write targets (%s)', (_label, size, accessorOptions) => {
  const options = (overwrite: boolean) => ({ overwrite, ...(size !== undefined ? { size } : {}) });

  it('refuses an existing file without overwrite, keeping it and leaving no temp file', async () => {
    const base = await root();
    await writeFile(join(base, 'a.bin'), 'keep');
    const accessor = new DiskAccessor({ prefix: base, ...accessorOptions });
    await expect(accessor.write('a.bin', 'new!', options(false))).rejects.toBeInstanceOf(
      AccessorResourceExistsError,
    );
    expect(await readFile(join(base, 'a.bin'), 'utf8')).toBe('keep');
    expect(await readdir(base)).toEqual(['a.bin']);
  });

  it('refuses a folder at the target, with or without overwrite', async () => {
    const base = await root();
    await mkdir(join(base, 'dir'));
    const accessor = new DiskAccessor({ prefix: base, ...accessorOptions });
    for (const overwrite of [false, true])
      await expect(accessor.write('dir', 'data', options(overwrite))).rejects.toBeInstanceOf(
        AccessorResourceInvalidError,
      );
    expect(await readdir(base)).toEqual(['dir']);
  });

  it('reports a missing folder, and a file where the folder should be', async () => {
    const base = await root();
    await writeFile(join(base, 'file'), 'x');
    const accessor = new DiskAccessor({ prefix: base, ...accessorOptions });
    await expect(accessor.write('missing/a.bin', 'data', options(false))).rejects.toBeInstanceOf(
      AccessorParentResourceNotFoundError,
    );
    await expect(accessor.write('file/a.bin', 'data', options(false))).rejects.toBeInstanceOf(
      AccessorResourceInvalidError,
    );
    expect(await readdir(base)).toEqual(['file']);
  });

  it('refuses a missing folder below a symlink that leads outside', async () => {
    const base = await root();
    const outside = await root();
    await mkdir(join(base, 'in'));
    await symlink(outside, join(base, 'in', 'escape'));
    const accessor = new DiskAccessor({ prefix: join(base, 'in'), ...accessorOptions });
    await expect(accessor.write('escape/missing/a.bin', 'data', options(false))).rejects.toBeInstanceOf(
      AccessorResourceIdentifierError,
    );
    await expect(accessor.write('escape/a.bin', 'data', options(true))).rejects.toBeInstanceOf(
      AccessorResourceIdentifierError,
    );
    expect(await readdir(outside)).toEqual([]);
  });

  it('replaces a symlink at the target itself, never the file it points to', async () => {
    const base = await root();
    const outside = await root();
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await symlink(join(outside, 'secret.txt'), join(base, 'link.txt'));
    const accessor = new DiskAccessor({ prefix: base, ...accessorOptions });
    await expect(accessor.write('link.txt', 'mine', options(false))).rejects.toBeInstanceOf(
      AccessorResourceExistsError,
    );
    await accessor.write('link.txt', 'mine', options(true));
    expect((await lstat(join(base, 'link.txt'))).isSymbolicLink()).toBe(false);
    expect(await readFile(join(base, 'link.txt'), 'utf8')).toBe('mine');
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });
});

describe('mapFsError', () => {
  it('maps OS codes to typed errors with transient flags', () => {
    const error = (code: string) => Object.assign(new Error(code), { code });
    expect(mapFsError(error('ENOENT'), 'stat', 'a')).toBeInstanceOf(AccessorResourceNotFoundError);
    expect(mapFsError(error('EACCES'), 'stat', 'a')).toBeInstanceOf(AccessorPermissionDeniedError);
    expect(mapFsError(error('EMFILE'), 'stat', 'a')).toMatchObject({ transient: true });
    expect(mapFsError(error('ENOSPC'), 'stat', 'a')).toMatchObject({ transient: false });
    expect(mapFsError(error('ENOTEMPTY'), 'removeContainer', 'a').name).toBe(
      'AccessorContainerNotEmptyError',
    );
  });
});
