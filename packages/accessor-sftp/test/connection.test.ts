import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessorOperationFailedError, isTransientError, readAll } from '@stowage/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../../tools/fault-proxy.mjs';
import type { SftpAccessor } from '../src/index.js';
import { isolatedAccessor, localNames, serverEnv } from './helpers.js';

describe('connection pool', () => {
  it('shares at most poolSize connections between parallel operations', async () => {
    const { accessor } = isolatedAccessor({ poolSize: 3 });
    try {
      await accessor.makeContainer('p');
      let peak = 0;
      await Promise.all(
        Array.from({ length: 30 }, async (_, index) => {
          await accessor.write(`p/f${index}`, randomBytes(100_000));
          peak = Math.max(peak, accessor.connectionCount);
        }),
      );
      expect(peak).toBeGreaterThan(1);
      expect(peak).toBeLessThanOrEqual(3);
      expect(await accessor.list('p')).toHaveLength(30);
    } finally {
      await accessor.close();
    }
    expect(accessor.connectionCount).toBe(0);
    await expect(accessor.list('')).rejects.toBeInstanceOf(AccessorOperationFailedError);
  });

  it('streams from and to the same server through a single connection without deadlock', async () => {
    const { accessor, localPath } = isolatedAccessor({ poolSize: 1 });
    try {
      const data = randomBytes(3 * 1024 * 1024);
      await accessor.write('a', data);
      await accessor.write('b', await accessor.createReadStream('a'));
      expect(readFileSync(join(localPath, 'b')).equals(data)).toBe(true);
      expect(accessor.connectionCount).toBe(1);
    } finally {
      await accessor.close();
    }
  });

  it('closes idle connections and reconnects on the next operation', async () => {
    const { accessor } = isolatedAccessor({ idleTimeout: 100 });
    try {
      await accessor.list('');
      expect(accessor.connectionCount).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(accessor.connectionCount).toBe(0);
      expect(await accessor.list('')).toEqual([]);
    } finally {
      await accessor.close();
    }
  });
});

describe('dropped connections (through a fault proxy)', () => {
  let proxy: FaultProxy;
  let accessor: SftpAccessor;
  let localPath: string;

  beforeAll(async () => {
    proxy = await startFaultProxy({ targetPort: serverEnv().port });
    ({ accessor, localPath } = isolatedAccessor({
      port: proxy.port,
      readyTimeout: 1000,
      keepaliveInterval: 200,
      keepaliveCountMax: 2,
    }));
    await accessor.makeContainer('');
  });
  afterEach(() => proxy.clearFault());
  afterAll(async () => {
    await accessor.close();
    await proxy.close();
  });

  it('reconnects after the connection drops between operations', async () => {
    await accessor.write('before', 'x');
    proxy.dropAll();
    expect(await accessor.stat('before')).toMatchObject({ size: 1 });
    proxy.dropAll();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await accessor.list('')).toContain('before');
  });

  it('fails an upload cut mid-transfer as transient, with no partial file left', async () => {
    await accessor.makeContainer('cut-up');
    proxy.dropAll();
    proxy.setFault({ mode: 'cut', afterBytes: 2 * 1024 * 1024, direction: 'up', connections: 1 });
    const error = await accessor
      .write('cut-up/f', randomBytes(16 * 1024 * 1024))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AccessorOperationFailedError);
    expect(isTransientError(error)).toBe(true);
    // The temp file was removed over a fresh connection.
    expect(localNames(join(localPath, 'cut-up'))).toEqual([]);
    // And the retry works.
    proxy.clearFault();
    expect((await accessor.write('cut-up/f', 'ok')).size).toBe(2);
  });

  it('fails a download cut mid-transfer as transient', async () => {
    await accessor.write('cut-down', randomBytes(8 * 1024 * 1024));
    proxy.dropAll();
    proxy.setFault({ mode: 'cut', afterBytes: 1024 * 1024, direction: 'down', connections: 1 });
    const error = await (async () => readAll(await accessor.createReadStream('cut-down')))().catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AccessorOperationFailedError);
    expect(isTransientError(error)).toBe(true);
  });

  it('detects a stalled connection through keepalives', async () => {
    await accessor.write('stall', randomBytes(8 * 1024 * 1024));
    proxy.dropAll();
    proxy.setFault({ mode: 'stall', afterBytes: 512 * 1024, direction: 'down', connections: 1 });
    const started = Date.now();
    const error = await (async () => readAll(await accessor.createReadStream('stall')))().catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AccessorOperationFailedError);
    expect(isTransientError(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('times out a server that never answers the handshake', async () => {
    proxy.dropAll();
    proxy.setFault({ mode: 'stall', afterBytes: 0, direction: 'down' });
    const started = Date.now();
    const error = await accessor.list('').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AccessorOperationFailedError);
    expect(isTransientError(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
