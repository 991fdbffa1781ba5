import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signUrl } from '../src/index.js';
import { API_KEY, chunkedBody, SECRET, startTestServer, type TestServer, USER } from './helpers.js';

// Every refused request must leave the storage exactly as it was: no file,
// no temp file. `storedFiles()` walks the whole root.

const md5Base64 = (data: Buffer | string) => createHash('md5').update(data).digest('base64');
const future = () => Math.floor(Date.now() / 1000) + 600;
const LIMIT = 64 * 1024;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ maxBodySize: LIMIT });
});
afterAll(async () => server?.dispose());
afterEach(async () => {
  expect(await server.storedFiles()).toEqual([]);
});

async function errorOf(response: Response): Promise<{ status: number; code: string }> {
  const body = (await response.json()) as { error: { code: string } };
  return { status: response.status, code: body.error.code };
}

const put = (url: string, body: RequestInit['body'], headers: Record<string, string> = {}) =>
  fetch(url, { method: 'PUT', body, headers, duplex: 'half' } as RequestInit);

describe('signed URLs', () => {
  it('refuses a tampered signature', async () => {
    const { url } = await server.uploadUrl({ componentId: 'tampered' });
    const tampered = new URL(url);
    const signature = tampered.searchParams.get('signature')!;
    tampered.searchParams.set('signature', `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`);
    expect(await errorOf(await put(tampered.toString(), 'data'))).toEqual({
      status: 403,
      code: 'InvalidSignature',
    });
  });

  it('refuses an expired URL', async () => {
    const url = signUrl(
      server.url,
      'put',
      { id: 'expired', timeout: Math.floor(Date.now() / 1000) - 5 },
      SECRET,
    );
    expect(await errorOf(await put(url, 'data'))).toEqual({ status: 403, code: 'Expired' });
    const get = signUrl(
      server.url,
      'get',
      { id: 'expired', timeout: Math.floor(Date.now() / 1000) - 5 },
      SECRET,
    );
    expect((await fetch(get)).status).toBe(403);
  });

  it('refuses a signature used for another id, another action, or signed with another secret', async () => {
    const { url } = await server.uploadUrl({ componentId: 'mine' });
    const otherId = new URL(url);
    otherId.searchParams.set('id', 'theirs');
    expect((await put(otherId.toString(), 'data')).status).toBe(403);
    const asRemove = new URL(url);
    asRemove.pathname = '/remove';
    expect((await fetch(asRemove, { method: 'DELETE' })).status).toBe(403);
    const getUrl = new URL(await server.signed('get', 'mine'));
    getUrl.pathname = '/put';
    expect((await put(getUrl.toString(), 'data')).status).toBe(403);
    const forged = signUrl(
      server.url,
      'put',
      { id: 'forged', timeout: future() },
      'attacker-secret-0123456789',
    );
    expect((await put(forged, 'data')).status).toBe(403);
  });

  it('refuses missing and extra parameters', async () => {
    const { url } = await server.uploadUrl({ componentId: 'params', fileSize: 4 });
    const cases: Array<[(query: URLSearchParams) => void, number]> = [
      [(query) => query.delete('signature'), 403],
      [(query) => query.delete('timeout'), 403],
      [(query) => query.delete('size'), 403],
      [(query) => query.delete('id'), 400],
      [(query) => query.set('overwrite', '1'), 403],
      [(query) => query.set('size', '5'), 403],
      [(query) => query.set('path', 'x'), 400],
      [(query) => query.append('id', 'params'), 400],
    ];
    for (const [change, status] of cases) {
      const changed = new URL(url);
      change(changed.searchParams);
      const response = await put(changed.toString(), 'data');
      expect(response.status, changed.search).toBe(status);
      await response.body?.cancel();
    }
    const unsigned = await put(`${server.url}/put?id=params`, 'data');
    expect(unsigned.status).toBe(403);
    const noTimeout = signUrl(server.url, 'put', { id: 'forever' }, SECRET);
    expect(await errorOf(await put(noTimeout, 'data'))).toEqual({ status: 403, code: 'MissingTimeout' });
  });

  it('refuses path-like ids on every endpoint', async () => {
    const ids = [
      '../x',
      '..',
      '.',
      '/etc/passwd',
      'a\\b',
      'a\u0000b',
      'a//b',
      'a/',
      './a',
      'x'.repeat(256),
      '.f.stowage-0123456789ab.tmp',
    ];
    for (const id of ids) {
      for (const [action, method] of [
        ['put', 'PUT'],
        ['get', 'GET'],
        ['remove', 'DELETE'],
      ] as const) {
        // Correctly signed for the hostile id: the id check still refuses it.
        const query = `id=${encodeURIComponent(id)}&timeout=${future()}&signature=${'A'.repeat(43)}`;
        const response = await fetch(`${server.url}/${action}?${query}`, {
          method,
          ...(method === 'PUT' ? { body: 'x' } : {}),
        });
        expect(await errorOf(response), `${action} ${JSON.stringify(id)}`).toEqual({
          status: 400,
          code: 'InvalidId',
        });
      }
      expect((await server.api('upload-metadata', { componentId: id })).status).toBe(400);
      expect((await server.api('sign', { action: 'get', componentId: id })).status).toBe(400);
    }
    // Encoded traversal in the raw query decodes to an invalid id.
    const encoded = await fetch(
      `${server.url}/put?id=%2e%2e%2fx&timeout=${future()}&signature=${'A'.repeat(43)}`,
      {
        method: 'PUT',
        body: 'x',
      },
    );
    expect(await errorOf(encoded)).toEqual({ status: 400, code: 'InvalidId' });
    // Traversal in the path is no route at all.
    const pathTraversal = await fetch(`${server.url}/put/../get?id=x`, { method: 'PUT', body: 'x' });
    expect(pathTraversal.status).toBeGreaterThanOrEqual(400);
  });
});

describe('upload integrity', () => {
  it('refuses a Content-MD5 that does not match the body', async () => {
    const { url } = await server.uploadUrl({ componentId: 'md5-header' });
    const response = await put(url, 'actual body', { 'content-md5': md5Base64('other body') });
    expect(await errorOf(response)).toEqual({ status: 400, code: 'BadDigest' });
    const malformed = await put(url, 'actual body', { 'content-md5': 'abc' });
    expect(await errorOf(malformed)).toEqual({ status: 400, code: 'InvalidDigest' });
  });

  it('refuses a body that does not match the signed MD5 or SHA-256, header or not', async () => {
    const data = 'announced';
    const md5 = await server.uploadUrl({ componentId: 'md5-signed', checksum: md5Base64(data) });
    expect(await errorOf(await put(md5.url, chunkedBody(Buffer.from('different'))))).toEqual({
      status: 400,
      code: 'BadDigest',
    });
    expect(await errorOf(await put(md5.url, 'different', { 'content-md5': md5Base64('different') }))).toEqual(
      { status: 400, code: 'BadDigest' },
    );
    const sha256 = createHash('sha256').update(data).digest('hex');
    const sha = await server.uploadUrl({ componentId: 'sha-signed', sha256 });
    expect(await errorOf(await put(sha.url, 'different'))).toEqual({ status: 400, code: 'BadDigest' });
  });

  it('refuses bodies over the limit, announced or not', async () => {
    expect((await server.api('upload-metadata', { componentId: 'big', fileSize: LIMIT + 1 })).status).toBe(
      413,
    );
    const { url } = await server.uploadUrl({ componentId: 'big' });
    const announced = await put(url, randomBytes(LIMIT + 1));
    expect(await errorOf(announced)).toEqual({ status: 413, code: 'TooLarge' });
    const streamed = await put(url, chunkedBody(randomBytes(LIMIT * 4), 16));
    expect(await errorOf(streamed)).toEqual({ status: 413, code: 'TooLarge' });
    expect((await put(url, randomBytes(LIMIT))).status).toBe(200);
    expect(await server.accessor.exists((await import('../src/index.js')).storagePath('big'))).toBe(true);
    await fetch(await server.signed('remove', 'big'), { method: 'DELETE' });
  });

  it('refuses a body whose size differs from the signed one', async () => {
    const { url } = await server.uploadUrl({ componentId: 'sized', fileSize: 100 });
    expect(await errorOf(await put(url, randomBytes(50)))).toEqual({ status: 400, code: 'SizeMismatch' });
    expect(await errorOf(await put(url, randomBytes(150)))).toEqual({ status: 400, code: 'SizeMismatch' });
    expect(await errorOf(await put(url, chunkedBody(randomBytes(50))))).toEqual({
      status: 400,
      code: 'SizeMismatch',
    });
    expect(await errorOf(await put(url, chunkedBody(randomBytes(150))))).toEqual({
      status: 400,
      code: 'SizeMismatch',
    });
  });

  it('leaves nothing when the client disconnects mid-upload', async () => {
    const { url } = await server.uploadUrl({ componentId: 'cut', fileSize: 50_000 });
    await new Promise<void>((resolve) => {
      const request = httpRequest(url, { method: 'PUT', headers: { 'content-length': '50000' } });
      request.on('error', () => resolve());
      request.write(randomBytes(20_000), () => setTimeout(() => request.destroy(), 50));
      request.on('close', () => resolve());
    });
    // The server notices the reset and removes its temp file.
    for (let i = 0; i < 50 && (await server.storedFiles()).length > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
  });
});

describe('API keys', () => {
  it('refuses missing and wrong keys without echoing them', async () => {
    const missing = await server.api('sign', { action: 'get', componentId: 'x' }, {});
    expect(await errorOf(missing)).toEqual({ status: 401, code: 'Unauthorized' });
    const wrongKey = 'wrong-key-which-is-long-enough';
    const wrong = await server.api(
      'upload-metadata',
      { componentId: 'x' },
      { 'x-stowage-api-user': USER, 'x-stowage-api-key': wrongKey },
    );
    const text = await wrong.text();
    expect(wrong.status).toBe(401);
    expect(text).not.toContain(wrongKey);
    const otherUser = await server.api(
      'sign',
      { action: 'get', componentId: 'x' },
      { 'x-stowage-api-user': 'someone-else', 'x-stowage-api-key': API_KEY },
    );
    expect(otherUser.status).toBe(401);
    // Keys in the query string are not a way in.
    const inQuery = await fetch(`${server.url}/api/sign?apiKey=${API_KEY}&user=${USER}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'get', componentId: 'x' }),
    });
    expect(inQuery.status).toBe(401);
  });

  it('refuses everyone when no keys are configured', async () => {
    const open = await startTestServer({ apiKeys: {} });
    try {
      expect((await open.api('sign', { action: 'get', componentId: 'x' })).status).toBe(401);
    } finally {
      await open.dispose();
    }
  });
});

describe('resilience', () => {
  it('stays healthy after a burst of 1,000 bad requests', async () => {
    const rssBefore = process.memoryUsage().rss;
    const { url } = await server.uploadUrl({ componentId: 'burst', fileSize: 10 });
    const bad: Array<() => Promise<Response>> = [
      () => put(url.replace(/signature=[^&]+/, `signature=${'B'.repeat(43)}`), randomBytes(4096)),
      () => put(url, randomBytes(2048)),
      () => put(`${server.url}/put?id=..%2f..%2fetc&signature=x`, 'x'),
      () => fetch(`${server.url}/get?id=burst&timeout=1&signature=${'C'.repeat(43)}`),
      () => server.api('upload-metadata', { componentId: 'burst' }, { 'x-stowage-api-key': 'nope' }),
      () => put(url, chunkedBody(randomBytes(LIMIT * 2), 8)),
      () => fetch(`${server.url}/remove?id=burst&x=1`),
      () => fetch(`${server.url}/${'a'.repeat(2000)}`),
    ];
    let refused = 0;
    for (let batch = 0; batch < 1000 / 50; batch++) {
      const statuses = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const response = await bad[(batch * 50 + i) % bad.length]!();
          await response.body?.cancel();
          return response.status;
        }),
      );
      refused += statuses.filter((status) => status >= 400 && status < 500).length;
    }
    expect(refused).toBe(1000);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(128 * 1024 * 1024);
    // And it still does its job.
    expect((await put(url, '0123456789')).status).toBe(200);
    await fetch(await server.signed('remove', 'burst'), { method: 'DELETE' });
  });
});
