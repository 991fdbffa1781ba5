import { mkdir, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AccessorPermissionDeniedError,
  AccessorResourceIdentifierError,
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
