import { mkdtemp, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { writevAll } from '../src/writev-all.js';

it('writevAll continues a short writev with the rest of the chunks, at the right positions', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'stowage-writev-')), 'f');
  const handle = await open(path, 'wx');
  const writev = handle.writev.bind(handle);
  const calls: number[] = [];
  // The real writev, given at most 5 bytes a call: as if the OS wrote short each time.
  Object.assign(handle, {
    writev: (buffers: Uint8Array[], position?: number) => {
      const first: Uint8Array[] = [];
      let room = 5;
      for (const buffer of buffers) {
        if (room === 0) break;
        first.push(buffer.subarray(0, room));
        room -= Math.min(room, buffer.length);
      }
      calls.push(first.reduce((sum, buffer) => sum + buffer.length, 0));
      return writev(first, position);
    },
  });
  try {
    await handle.write(Buffer.from('>>'), 0, 2, 0);
    const seen: number[] = [];
    const chunks = ['abc', 'defgh', 'ij', 'klmnopq'].map((text) => Buffer.from(text));
    expect(await writevAll(handle, chunks, 2, (bytes) => seen.push(bytes))).toBe(17);
    expect(calls).toEqual([5, 5, 5, 2]);
    expect(seen).toEqual(calls);
  } finally {
    await handle.close();
  }
  expect(await readFile(path, 'utf8')).toBe('>>abcdefghijklmnopq');
});
