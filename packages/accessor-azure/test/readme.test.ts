import { readAll } from '@stowage/core';
import { expect, it } from 'vitest';
import { AzureBlobAccessor } from '../src/index.js';
import { randomPrefix, testOptions } from './helpers.js';

// The README example, step by step, under its own prefix.
it('runs the README example', async () => {
  const accessor = new AzureBlobAccessor({
    ...testOptions(),
    prefix: `${randomPrefix()}/projects/demo`,
    blockSize: 8 * 1024 * 1024,
    concurrency: 4,
  });
  const progress: number[] = [];
  try {
    await accessor.makeContainer('shots/sh010');
    const written = await accessor.write('shots/sh010/notes.txt', 'first take', {
      checksums: ['md5'],
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(written).toEqual({
      size: 10,
      checksums: { md5: 'ca7cedd083851bf8da6847b3b1aa07da' },
      stored: { md5: 'ca7cedd083851bf8da6847b3b1aa07da' },
    });
    expect(progress.at(-1)).toBe(10);
    expect(await accessor.list('shots/sh010')).toEqual(['shots/sh010/notes.txt']);
    const head = await readAll(
      await accessor.createReadStream('shots/sh010/notes.txt', { start: 0, end: 4 }),
    );
    expect(head.toString()).toBe('first');
    const url = await accessor.getUrl('shots/sh010/notes.txt', { expiresIn: 3600 });
    expect((await fetch(url)).status).toBe(200);
    await accessor.copy('shots/sh010/notes.txt', 'shots/sh010/notes-copy.txt');
    expect(await accessor.list('shots/sh010')).toEqual([
      'shots/sh010/notes-copy.txt',
      'shots/sh010/notes.txt',
    ]);
    await accessor.removeContainer('shots', { recursive: true });
    expect(await accessor.list('')).toEqual([]);
  } finally {
    await accessor.close();
  }
});
