import { mkdtemp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProgressiveSync } from '../src/progressive-sync.js';

const tempFile = async () => join(await mkdtemp(join(tmpdir(), 'stowage-sync-')), 'f');

describe('ProgressiveSync', () => {
  it('starts one datasync per threshold of written bytes, never two at once', async () => {
    const handle = await open(await tempFile(), 'wx');
    let started = 0;
    const datasync = handle.datasync.bind(handle);
    Object.assign(handle, {
      datasync: () => {
        started++;
        return datasync();
      },
    });
    try {
      const sync = new ProgressiveSync(handle, 1000);
      sync.written(999);
      expect(started).toBe(0);
      sync.written(1);
      expect(started).toBe(1);
      // Another threshold while the first flush runs: no second one.
      sync.written(5000);
      expect(started).toBe(1);
      await sync.settle();
      sync.written(1000);
      expect(started).toBe(2);
      await sync.settle();
    } finally {
      await handle.close();
    }
  });

  it('reports a failed flush: on the next write and on settle', async () => {
    const handle = await open(await tempFile(), 'wx');
    // A closed descriptor makes the flush fail for real (EBADF).
    await handle.close();
    const sync = new ProgressiveSync(handle, 10);
    sync.written(10);
    await expect(sync.settle()).rejects.toMatchObject({ code: 'EBADF' });
    expect(() => sync.written(1)).toThrow();
    // stop() waits without throwing, for a file about to be discarded.
    await expect(sync.stop()).resolves.toBeUndefined();
  });
});
