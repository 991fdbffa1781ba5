import { readdirSync } from 'node:fs';
import { AccessorContainerNotEmptyError, readAll } from '@stowage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SftpAccessor } from '../src/index.js';
import { isolatedAccessor } from './helpers.js';

describe('names and the root', () => {
  let accessor: SftpAccessor;
  let localPath: string;

  beforeAll(() => {
    ({ accessor, localPath } = isolatedAccessor());
  });
  afterAll(async () => {
    await accessor.close();
  });

  it('keeps unicode, spaces, percent signs and 255-byte names as they are', async () => {
    const names = ['shot 010 – é ü 日本.exr', 'frame.%04d.exr', 'a'.repeat(255), "quote's & (paren) [x]"];
    for (const name of names) {
      await accessor.write(name, name);
      expect((await readAll(await accessor.createReadStream(name))).toString()).toBe(name);
    }
    expect(await accessor.list('')).toEqual([...names].sort());
    expect(readdirSync(localPath).sort()).toEqual([...names].sort());
  });

  it('empties the root recursively but keeps it', async () => {
    await accessor.makeContainer('d/e');
    await expect(accessor.removeContainer('')).rejects.toBeInstanceOf(AccessorContainerNotEmptyError);
    await accessor.removeContainer('', { recursive: true });
    expect(await accessor.list('')).toEqual([]);
    expect(readdirSync(localPath)).toEqual([]);
    await accessor.removeContainer('');
    expect(await accessor.isContainer('')).toBe(true);
  });
});
