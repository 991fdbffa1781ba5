import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { DiskAccessor } from '../src/index.js';

// Found through the file server's burst test: a source that fails before the
// temp file was opened used to be cleaned up before the file existed, which
// then stayed behind. The temp file is now opened first.
it('300 writes whose sources fail at once leave no temp file behind', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-disk-failing-'));
  const accessor = new DiskAccessor({ prefix: root });
  const failing = () =>
    new Readable({
      read() {
        this.destroy(new Error('source failed'));
      },
    });
  const results = await Promise.allSettled(
    Array.from({ length: 300 }, (_, index) => accessor.write(`f${index}`, failing())),
  );
  expect(results.every((result) => result.status === 'rejected')).toBe(true);
  expect(await readdir(root)).toEqual([]);
});
