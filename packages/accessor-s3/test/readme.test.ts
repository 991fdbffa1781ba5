import { readAll } from '@stowage/core';
import { expect, it } from 'vitest';
import { S3Accessor, s3AccessorOptionsFromEnv } from '../src/index.js';
import { isolatedPrefix } from './helpers.js';

// The README example, step by step, under its own prefix.
it('runs the README example', async () => {
  const accessor = new S3Accessor({ ...s3AccessorOptionsFromEnv(), prefix: isolatedPrefix() });
  const progress: number[] = [];
  try {
    await accessor.makeContainer('shots/sh010');
    const written = await accessor.write('shots/sh010/notes.txt', 'first take', {
      checksums: ['md5'],
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(written).toEqual({ size: 10, checksums: { md5: 'ca7cedd083851bf8da6847b3b1aa07da' } });
    expect(progress.at(-1)).toBe(10);
    expect(await accessor.list('shots/sh010')).toEqual(['shots/sh010/notes.txt']);
    const head = await readAll(
      await accessor.createReadStream('shots/sh010/notes.txt', { start: 0, end: 4 }),
    );
    expect(head.toString()).toBe('first');
    await accessor.copy('shots/sh010/notes.txt', 'shots/sh010/notes-v2.txt');
    const url = await accessor.getUrl('shots/sh010/notes-v2.txt', { expiresIn: 900 });
    expect(await (await fetch(url)).text()).toBe('first take');
    await accessor.removeContainer('shots', { recursive: true });
    expect(await accessor.list('')).toEqual([]);
  } finally {
    await accessor.close();
  }
});
