import { readAll } from '@stowage/core';
import { afterAll, expect, it } from 'vitest';
import { ServerAccessor } from '../src/index.js';
import { API_KEY, startTestServer, USER } from './helpers.js';

const server = await startTestServer();
afterAll(() => server.dispose());

// The README example, step by step.
it('runs the README example', async () => {
  const accessor = new ServerAccessor({ url: server.url, user: USER, apiKey: API_KEY });
  const progress: number[] = [];
  const written = await accessor.write('shots/sh010/notes.txt', 'first take', {
    checksums: ['md5'],
    onProgress: (bytes) => progress.push(bytes),
  });
  expect(written).toEqual({ size: 10, checksums: { md5: 'ca7cedd083851bf8da6847b3b1aa07da' } });
  expect(progress.at(-1)).toBe(10);
  expect(await accessor.list('shots/sh010')).toEqual(['shots/sh010/notes.txt']);
  const head = await readAll(await accessor.createReadStream('shots/sh010/notes.txt', { start: 0, end: 4 }));
  expect(head.toString()).toBe('first');
  const url = await accessor.getUrl('shots/sh010/notes.txt', { expiresIn: 600 });
  expect(await (await fetch(url)).text()).toBe('first take');
  await accessor.removeContainer('shots', { recursive: true });
  expect(await accessor.list('')).toEqual([]);
});
