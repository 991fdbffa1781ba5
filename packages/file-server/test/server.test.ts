import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storagePath } from '../src/index.js';
import { API_KEY, chunkedBody, startTestServer, type TestServer, USER } from './helpers.js';

const md5Hex = (data: Buffer | string) => createHash('md5').update(data).digest('hex');
const md5Base64 = (data: Buffer | string) => createHash('md5').update(data).digest('base64');

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.dispose());

let counter = 0;
const newId = (suffix = '') => `${randomBytes(6).toString('hex')}-${++counter}${suffix}`;

async function upload(id: string, data: Buffer | string, extra: Record<string, unknown> = {}) {
  const { url, headers } = await server.uploadUrl({
    componentId: id,
    fileName: `${id}.bin`,
    fileSize: Buffer.byteLength(data),
    ...extra,
  });
  const response = await fetch(url, { method: 'PUT', headers, body: data });
  expect(response.status).toBe(200);
  return response;
}

describe('upload-metadata', () => {
  it('returns a signed PUT URL and the headers to send, without the API key', async () => {
    const data = 'hello world';
    const response = await server.api('upload-metadata', {
      componentId: 'meta-1',
      fileName: 'image.png',
      fileSize: data.length,
      checksum: md5Base64(data),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown> & {
      url: string;
      headers: Record<string, string>;
    };
    expect(body.method).toBe('PUT');
    expect(body.headers).toEqual({
      'Content-Type': 'image/png',
      'Content-Disposition': 'attachment; filename="image.png"',
      'Content-MD5': md5Base64(data),
    });
    const url = new URL(body.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${server.url}/put`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      id: 'meta-1',
      size: String(data.length),
      md5: md5Hex(data),
      user: USER,
    });
    expect(body.url).not.toContain(API_KEY);
    const expiresIn = Number(url.searchParams.get('timeout')) - Date.now() / 1000;
    expect(expiresIn).toBeGreaterThan(24 * 3600 - 60);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3600);
    expect(Date.parse(body.expiresAt as string)).toBe(Number(url.searchParams.get('timeout')) * 1000);
  });

  it('accepts ftrack-style headers and snake_case fields, and a custom lifetime', async () => {
    const response = await server.api(
      'upload-metadata',
      { component_id: 'meta-2', file_name: 'a.txt', file_size: 3, expiresIn: 600 },
      { 'ftrack-user': USER, 'ftrack-api-key': API_KEY },
    );
    expect(response.status).toBe(200);
    const { url } = (await response.json()) as { url: string };
    const timeout = Number(new URL(url).searchParams.get('timeout'));
    expect(timeout - Date.now() / 1000).toBeLessThanOrEqual(600);
  });

  it('validates its input', async () => {
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ fileName: 'a' }, 400],
      [{ componentId: '../x' }, 400],
      [{ componentId: 'ok', fileSize: -1 }, 400],
      [{ componentId: 'ok', fileSize: 1.5 }, 400],
      [{ componentId: 'ok', checksum: 'nope' }, 400],
      [{ componentId: 'ok', sha256: 'nope' }, 400],
      [{ componentId: 'ok', overwrite: 'yes' }, 400],
      [{ componentId: 'ok', fileName: 'a\nb' }, 400],
      [{ componentId: 'ok', expiresIn: 999_999_999 }, 400],
    ];
    for (const [body, status] of cases) {
      const response = await server.api('upload-metadata', body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBeTypeOf('string');
    }
    const notJson = await fetch(`${server.url}/api/upload-metadata`, {
      method: 'POST',
      headers: { 'x-stowage-api-user': USER, 'x-stowage-api-key': API_KEY, 'content-type': 'text/plain' },
      body: 'componentId=x',
    });
    expect(notJson.status).toBe(415);
  });
});

describe('PUT, GET, HEAD and remove', () => {
  it('stores under a sharded path and serves the bytes back with metadata', async () => {
    const id = newId('.txt');
    const data = 'first take\n';
    const put = await upload(id, data, { checksum: md5Base64(data) });
    expect(await put.json()).toEqual({
      id,
      size: data.length,
      md5: md5Hex(data),
      contentMd5: md5Base64(data),
    });
    expect(put.headers.get('etag')).toBe(`"${md5Hex(data)}"`);
    expect(await readFile(join(server.root, storagePath(id)), 'utf8')).toBe(data);

    const get = await fetch(await server.signed('get', id));
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(get.headers.get('content-length')).toBe(String(data.length));
    expect(get.headers.get('accept-ranges')).toBe('bytes');
    expect(get.headers.get('etag')).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(Date.parse(get.headers.get('last-modified')!)).toBeGreaterThan(Date.now() - 120_000);
    expect(await get.text()).toBe(data);
  });

  it('streams a chunked body of any content type (JSON is not parsed) and answers its MD5', async () => {
    const id = newId('.json');
    const data = Buffer.from(JSON.stringify({ big: 'x'.repeat(300_000) }));
    const { url } = await server.uploadUrl({ componentId: id });
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: chunkedBody(data, 7),
      duplex: 'half',
    } as RequestInit);
    expect(put.status).toBe(200);
    expect(((await put.json()) as { md5: string }).md5).toBe(md5Hex(data));
    const get = await fetch(await server.signed('get', id));
    expect(get.headers.get('content-type')).toMatch(/^application\/json/);
    expect(md5Hex(Buffer.from(await get.arrayBuffer()))).toBe(md5Hex(data));
  });

  it('streams a body without any Content-Type', async () => {
    const id = newId();
    const { url } = await server.uploadUrl({ componentId: id });
    const put = await fetch(url, {
      method: 'PUT',
      body: chunkedBody(Buffer.from('no type'), 2),
      duplex: 'half',
    } as RequestInit);
    expect(put.status).toBe(200);
    const get = await fetch(await server.signed('get', id));
    expect(get.headers.get('content-type')).toBe('application/octet-stream');
    expect(await get.text()).toBe('no type');
  });

  it('round-trips an empty file and a 24 MiB one', async () => {
    const empty = newId();
    await upload(empty, '');
    const get = await fetch(await server.signed('get', empty));
    expect([get.status, get.headers.get('content-length'), await get.text()]).toEqual([200, '0', '']);

    const big = newId();
    const data = randomBytes(24 * 1024 * 1024);
    await upload(big, data, { checksum: md5Hex(data) });
    const back = Buffer.from(await (await fetch(await server.signed('get', big))).arrayBuffer());
    expect(back.length).toBe(data.length);
    expect(md5Hex(back)).toBe(md5Hex(data));
  });

  it('answers ranges with 206, 416 and If-Range', async () => {
    const id = newId();
    const data = Buffer.from('0123456789');
    await upload(id, data);
    const url = await server.signed('get', id);
    const range = async (value: string, headers: Record<string, string> = {}) => {
      const response = await fetch(url, { headers: { range: value, ...headers } });
      return [response.status, response.headers.get('content-range'), await response.text()];
    };
    expect(await range('bytes=2-5')).toEqual([206, 'bytes 2-5/10', '2345']);
    expect(await range('bytes=7-')).toEqual([206, 'bytes 7-9/10', '789']);
    expect(await range('bytes=-2')).toEqual([206, 'bytes 8-9/10', '89']);
    expect(await range('bytes=8-100')).toEqual([206, 'bytes 8-9/10', '89']);
    const [status, contentRange] = await range('bytes=10-');
    expect([status, contentRange]).toEqual([416, 'bytes */10']);
    expect(await range('bytes=0-1,4-5')).toEqual([200, null, '0123456789']);
    expect(await range('bytes=2-3', { 'if-range': '"stale"' })).toEqual([200, null, '0123456789']);
    const etag = (await fetch(url, { method: 'HEAD' })).headers.get('etag')!;
    expect(await range('bytes=2-3', { 'if-range': etag })).toEqual([206, 'bytes 2-3/10', '23']);
  });

  it('answers HEAD without a body, and conditional requests', async () => {
    const id = newId();
    await upload(id, 'conditional');
    const url = await server.signed('head', id);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('11');
    expect(await head.text()).toBe('');
    const etag = head.headers.get('etag')!;
    expect((await fetch(url, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(url, { headers: { 'if-match': '"other"' } })).status).toBe(412);
    expect((await fetch(url, { headers: { 'if-match': etag } })).status).toBe(200);
  });

  it('removes with DELETE or GET, then answers 404', async () => {
    for (const method of ['DELETE', 'GET']) {
      const id = newId();
      await upload(id, 'bye');
      const removeUrl = await server.signed('remove', id);
      const removed = await fetch(removeUrl, { method });
      expect(removed.status).toBe(200);
      expect(await removed.json()).toEqual({ id, removed: true });
      expect((await fetch(removeUrl, { method })).status).toBe(404);
      expect((await fetch(await server.signed('get', id))).status).toBe(404);
      expect((await fetch(await server.signed('get', id), { method: 'HEAD' })).status).toBe(404);
    }
  });

  it('refuses to replace a component unless overwrite was signed', async () => {
    const id = newId();
    await upload(id, 'precious');
    const metadata = await server.api('upload-metadata', { componentId: id });
    expect(metadata.status).toBe(409);
    // A URL obtained before the first upload landed is refused at PUT time.
    const other = newId();
    const early = await server.uploadUrl({ componentId: other });
    await upload(other, 'first');
    const late = await fetch(early.url, { method: 'PUT', body: 'second' });
    expect(late.status).toBe(409);
    expect(await (await fetch(await server.signed('get', other))).text()).toBe('first');

    const replaced = await server.uploadUrl({ componentId: id, overwrite: true });
    expect(new URL(replaced.url).searchParams.get('overwrite')).toBe('1');
    expect((await fetch(replaced.url, { method: 'PUT', body: 'new' })).status).toBe(200);
    expect(await (await fetch(await server.signed('get', id))).text()).toBe('new');
  });

  it('lets exactly one of several racing uploads win', async () => {
    const id = newId();
    const urls = await Promise.all(Array.from({ length: 6 }, () => server.uploadUrl({ componentId: id })));
    const statuses = await Promise.all(
      urls.map(({ url }, i) =>
        fetch(url, { method: 'PUT', body: randomBytes(200_000 + i) }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(5);
  });
});

describe('/api/sign', () => {
  it('signs get, head and remove URLs bound to the user', async () => {
    for (const [action, method, path] of [
      ['get', 'GET', '/get'],
      ['head', 'HEAD', '/get'],
      ['remove', 'DELETE', '/remove'],
    ] as const) {
      const response = await server.api('sign', { action, componentId: 'abc', expiresIn: 60 });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { url: string; method: string };
      expect(body.method).toBe(method);
      const url = new URL(body.url);
      expect(url.pathname).toBe(path);
      expect(url.searchParams.get('user')).toBe(USER);
      expect(Number(url.searchParams.get('timeout')) - Date.now() / 1000).toBeLessThanOrEqual(60);
    }
  });

  it('validates its input', async () => {
    expect((await server.api('sign', { action: 'put', componentId: 'abc' })).status).toBe(400);
    expect((await server.api('sign', { action: 'get', componentId: 'a/../b' })).status).toBe(400);
    expect((await server.api('sign', { action: 'get', componentId: 'abc', expiresIn: 0 })).status).toBe(400);
    expect((await server.api('sign', [1, 2])).status).toBe(400);
  });
});

describe('CORS, health and configuration', () => {
  it('answers preflights as the seed example does', async () => {
    const put = await fetch(`${server.url}/put`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT' },
    });
    expect(put.status).toBe(204);
    expect(put.headers.get('access-control-allow-origin')).toBe('*');
    expect(put.headers.get('access-control-allow-methods')).toBe('PUT, OPTIONS');
    expect(put.headers.get('access-control-allow-headers')).toContain('content-md5');
    expect(put.headers.get('access-control-max-age')).toBe('1728000');
    const get = await fetch(`${server.url}/get?id=x`, { method: 'OPTIONS' });
    expect(get.headers.get('access-control-allow-methods')).toContain('GET');
  });

  it('puts CORS headers on answers and errors alike', async () => {
    const error = await fetch(`${server.url}/get?id=x`, { headers: { origin: 'https://app.example' } });
    expect(error.status).toBe(403);
    expect(error.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('restricts CORS to configured origins', async () => {
    const strict = await startTestServer({ corsOrigins: ['https://ftrack.example.com'] });
    try {
      const allowed = await fetch(`${strict.url}/healthz`, {
        headers: { origin: 'https://ftrack.example.com' },
      });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://ftrack.example.com');
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
      const denied = await fetch(`${strict.url}/put`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example' },
      });
      expect(denied.headers.get('access-control-allow-origin')).toBeNull();
      expect(denied.headers.get('access-control-allow-methods')).toBeNull();
    } finally {
      await strict.dispose();
    }
  });

  it('answers /healthz and unknown endpoints', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const missing = await fetch(`${server.url}/nothing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NotFound');
    expect((await fetch(`${server.url}/put?id=x`, { method: 'POST' })).status).toBe(404);
  });

  it('hands out URLs on the configured public URL, or the forwarded host from a trusted proxy', async () => {
    const configured = await startTestServer({ publicUrl: 'https://files.example.com/stowage/' });
    try {
      const { url } = await configured.uploadUrl({ componentId: 'pub' });
      expect(url.startsWith('https://files.example.com/stowage/put?id=pub&')).toBe(true);
    } finally {
      await configured.dispose();
    }
    const response = await server.api(
      'sign',
      { action: 'get', componentId: 'abc' },
      {
        'x-stowage-api-user': USER,
        'x-stowage-api-key': API_KEY,
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'files.example.com:8443',
      },
    );
    expect(((await response.json()) as { url: string }).url).toMatch(
      /^https:\/\/files\.example\.com:8443\/get\?/,
    );
  });

  it('refuses weak secrets and bad accel prefixes at start', async () => {
    await expect(startTestServer({ secret: 'short' })).rejects.toThrow(/at least 16/);
    await expect(startTestServer({ accelRedirect: 'protected' })).rejects.toThrow(/accelRedirect/);
  });
});
