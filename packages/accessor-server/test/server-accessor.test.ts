import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DiskAccessor } from '@stowage/accessor-disk';
import {
  AccessorIntegrityError,
  AccessorOperationFailedError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  AccessorResourceNotFoundError,
  OperationAbortedError,
  type ResourceStat,
  readAll,
} from '@stowage/core';
import { startFileServer } from '@stowage/file-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorFromResponse, isTransientStatus, ServerAccessor } from '../src/index.js';
import { API_KEY, SECRET, startTestServer, type TestServer, USER } from './helpers.js';

let server: TestServer;
let accessor: ServerAccessor;
beforeAll(async () => {
  server = await startTestServer({ maxBodySize: 8 * 1024 * 1024 });
  accessor = server.accessor();
});
afterAll(async () => {
  await accessor?.close();
  await server?.dispose();
});

/** Every string an error exposes: message, details, and its causes'. */
function exposed(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current && depth < 6; depth++) {
    const e = current as { message?: string; details?: unknown; stack?: string };
    parts.push(String(e.message), JSON.stringify(e.details ?? {}), String(e.stack));
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('uploads and downloads', () => {
  it('streams an upload with Content-MD5 and reads it back, also by range', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 3);
    const md5 = createHash('md5').update(data).digest('hex');
    const result = await accessor.write('3a372bde-05bc-11e4-8908-20c9d081909b', data, {
      size: data.length,
      checksum: { algorithm: 'md5', value: md5 },
      checksums: ['md5', 'sha256'],
    });
    expect(result.size).toBe(data.length);
    expect(result.checksums.md5).toBe(md5);
    const back = await readAll(await accessor.createReadStream('3a372bde-05bc-11e4-8908-20c9d081909b'));
    expect(back.equals(data)).toBe(true);
    const slice = await readAll(
      await accessor.createReadStream('3a372bde-05bc-11e4-8908-20c9d081909b', { start: 1000, end: 1999 }),
    );
    expect(slice.equals(data.subarray(1000, 2000))).toBe(true);
    const info: ResourceStat = await accessor.stat('3a372bde-05bc-11e4-8908-20c9d081909b');
    expect(info).toMatchObject({ size: data.length, isContainer: false });
    expect(info.etag).toBeTypeOf('string');
  });

  it('stats and reads reuse connections (fetch closed one after every HEAD)', async () => {
    await accessor.write('reuse/a.txt', 'some bytes');
    let connections = 0;
    const count = () => {
      connections++;
    };
    server.app.server.on('connection', count);
    try {
      for (let i = 0; i < 20; i++) {
        expect((await accessor.stat('reuse/a.txt')).size).toBe(10);
        expect((await readAll(await accessor.createReadStream('reuse/a.txt'))).toString()).toBe('some bytes');
      }
    } finally {
      server.app.server.off('connection', count);
    }
    // 80 requests (a signature and a HEAD or GET each time), over kept-alive connections.
    expect(connections).toBeLessThanOrEqual(4);
  });

  it('a listing answer over 1 MiB arrives whole', async () => {
    // Written straight into the server's disk root: 9,000 long names make a
    // JSON answer of about 1.5 MiB.
    const folder = join(server.root, 'big-listing');
    mkdirSync(folder);
    const names = Array.from(
      { length: 9000 },
      (_, i) => `${String(i).padStart(5, '0')}-${'x'.repeat(110)}.exr`,
    );
    for (const name of names) writeFileSync(join(folder, name), '');
    const listed = await accessor.list('big-listing');
    expect(listed).toHaveLength(names.length);
    expect(new Set(listed)).toEqual(new Set(names.map((name) => `big-listing/${name}`)));
    expect(JSON.stringify(listed).length).toBeGreaterThan(1024 * 1024);
  });

  it('getUrl is a signed, expiring URL without the API key, usable without credentials', async () => {
    await accessor.write('shared.txt', 'for a browser');
    const url = await accessor.getUrl('shared.txt', { expiresIn: 600 });
    expect(url).not.toContain(API_KEY);
    expect(url).not.toContain(SECRET);
    const parsed = new URL(url);
    expect(parsed.searchParams.get('signature')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Number(parsed.searchParams.get('timeout')) - Date.now() / 1000).toBeLessThanOrEqual(600);
    const response = await fetch(url);
    expect(await response.text()).toBe('for a browser');
  });

  it('a stream larger than the server limit fails with a non-transient error and stores nothing', async () => {
    async function* big() {
      for (let i = 0; i < 12; i++) yield randomBytes(1024 * 1024);
    }
    const error = await accessor.write('too-big.bin', big()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessorOperationFailedError);
    expect((error as AccessorOperationFailedError).transient).toBe(false);
    expect(await accessor.exists('too-big.bin')).toBe(false);
  });

  it('maps answers to the Stowage errors', async () => {
    await expect(accessor.stat('nothing-here')).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
    await expect(accessor.createReadStream('nothing-here')).rejects.toBeInstanceOf(
      AccessorResourceNotFoundError,
    );
    await accessor.write('once.txt', 'first');
    await expect(accessor.write('once.txt', 'second', { overwrite: false })).rejects.toBeInstanceOf(
      AccessorResourceExistsError,
    );
    await expect(
      accessor.write('sum.txt', 'bytes', { checksum: { algorithm: 'md5', value: '0'.repeat(32) } }),
    ).rejects.toBeInstanceOf(AccessorIntegrityError);
    await expect(
      accessor.write('sum.txt', 'bytes', { checksum: { algorithm: 'sha1', value: '0'.repeat(40) } }),
    ).rejects.toBeInstanceOf(AccessorIntegrityError);
    expect(await accessor.exists('sum.txt')).toBe(false);
    await expect(accessor.stat('../escape')).rejects.toBeInstanceOf(AccessorResourceIdentifierError);
    expect(errorFromResponse(503, {}, 'read', 'x').transient).toBe(true);
    expect(errorFromResponse(400, { code: 'BadDigest' }, 'write', 'x')).toBeInstanceOf(
      AccessorIntegrityError,
    );
    expect([408, 429, 500, 502, 503, 504].every(isTransientStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 413].some(isTransientStatus)).toBe(false);
  });
});

describe('credentials', () => {
  it('a wrong API key is refused at once (no retries), and no secret appears in the error', async () => {
    const wrong = server.accessor({ apiKey: 'not-the-key-0123456789abcdef' });
    const started = Date.now();
    const error = await wrong.write('denied.txt', 'x').catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(AccessorPermissionDeniedError);
    expect((error as AccessorPermissionDeniedError).transient).toBe(false);
    expect(elapsed).toBeLessThan(2000);
    const text = exposed(error);
    for (const secret of [API_KEY, 'not-the-key-0123456789abcdef', SECRET])
      expect(text).not.toContain(secret);
    expect(await accessor.exists('denied.txt')).toBe(false);
  });

  it('errors never show signed URLs, the API key or the server secret', async () => {
    const errors = await Promise.all([
      accessor.stat('missing.bin').catch((e: unknown) => e),
      accessor.remove('missing.bin').catch((e: unknown) => e),
      accessor.createReadStream('missing.bin').catch((e: unknown) => e),
      accessor
        .write('bad-sum.bin', 'data', { checksum: { algorithm: 'md5', value: 'f'.repeat(32) } })
        .catch((e: unknown) => e),
    ]);
    for (const error of errors) {
      const text = exposed(error);
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('signature=');
      expect(text).not.toContain(server.url);
    }
  });

  it('the API key travels in headers only: an API key in the URL is refused', () => {
    expect(() => new ServerAccessor({ url: `http://${USER}:${API_KEY}@127.0.0.1:1/` })).toThrow(TypeError);
    expect(() => new ServerAccessor({ url: 'http://127.0.0.1:1/?key=x' })).toThrow(TypeError);
    const message = (() => {
      try {
        new ServerAccessor({ url: `http://${USER}:${API_KEY}@127.0.0.1:1/` });
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).not.toContain(API_KEY);
  });
});

describe('retries and abort', () => {
  it('retries while the server is not up yet, then succeeds', async () => {
    const port = await freePort();
    const root = server.root;
    const late = new ServerAccessor({
      url: `http://127.0.0.1:${port}`,
      user: USER,
      apiKey: API_KEY,
      retries: 6,
      retryBaseDelayMs: 100,
    });
    const starting = new Promise<Awaited<ReturnType<typeof startFileServer>>>((resolve, reject) =>
      setTimeout(
        () =>
          startFileServer({
            port,
            secret: SECRET,
            apiKeys: { [USER]: API_KEY },
            accessor: new DiskAccessor({ prefix: root, fsync: false }),
          }).then(resolve, reject),
        300,
      ),
    );
    try {
      await late.write('late.txt', 'arrived');
      expect((await readAll(await late.createReadStream('late.txt'))).toString()).toBe('arrived');
    } finally {
      await (await starting).close();
    }
  });

  it('retries transient storage failures (503) and gives up after the configured attempts', async () => {
    const disk = new DiskAccessor({ prefix: server.root, fsync: false });
    let failures = 2;
    let calls = 0;
    // The real server over a storage that fails transiently: it answers 503.
    const flaky = Object.create(disk) as DiskAccessor;
    flaky.stat = async (ri: string) => {
      calls++;
      if (failures-- > 0)
        throw new AccessorOperationFailedError({
          operation: 'stat',
          resourceIdentifier: ri,
          transient: true,
        });
      return disk.stat(ri);
    };
    const flakyServer = await startFileServer({
      secret: SECRET,
      apiKeys: { [USER]: API_KEY },
      accessor: flaky,
    });
    try {
      const client = new ServerAccessor({
        url: flakyServer.url,
        user: USER,
        apiKey: API_KEY,
        retryBaseDelayMs: 10,
      });
      await accessor.write('flaky.txt', 'eventually');
      expect((await client.stat('flaky.txt')).size).toBe(10);
      expect(calls).toBe(3);
      failures = 100;
      calls = 0;
      const noRetry = new ServerAccessor({
        url: flakyServer.url,
        user: USER,
        apiKey: API_KEY,
        retries: 1,
        retryBaseDelayMs: 10,
      });
      const error = await noRetry.stat('flaky.txt').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AccessorOperationFailedError);
      expect((error as AccessorOperationFailedError).transient).toBe(true);
      expect((error as AccessorOperationFailedError).details.status).toBe(503);
      expect(calls).toBe(2);
    } finally {
      await flakyServer.close();
    }
  });

  it('an aborted upload stops at once and stores nothing', async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    async function* endless() {
      for (let i = 0; ; i++) {
        if (i === 4) controller.abort();
        yield randomBytes(256 * 1024);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    const error = await accessor
      .write('aborted.bin', endless(), {
        signal: controller.signal,
        onProgress: (bytes) => progress.push(bytes),
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationAbortedError);
    expect(progress.length).toBeGreaterThan(0);
    expect(await accessor.exists('aborted.bin')).toBe(false);
  });

  it('an aborted download errors the stream', async () => {
    await accessor.write('long.bin', randomBytes(4 * 1024 * 1024));
    const controller = new AbortController();
    const stream = await accessor.createReadStream('long.bin', { signal: controller.signal });
    const reading = readAll(stream);
    controller.abort();
    await expect(reading).rejects.toThrow();
    await expect(accessor.createReadStream('long.bin', { signal: controller.signal })).rejects.toBeInstanceOf(
      OperationAbortedError,
    );
  });
});
