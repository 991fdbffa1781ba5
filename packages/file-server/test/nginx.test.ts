import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendHandle, start } from '../../../tools/backends/index.mjs';
import { startTestServer, type TestServer } from './helpers.js';

// Debian's nginx in front of the file server in accel mode: /get answers only
// with X-Accel-Redirect and nginx serves the bytes from the storage folder.
// If nginx cannot start, start() throws and this file fails: never a skip.
let server: TestServer;
let nginx: BackendHandle;
let front: string;

beforeAll(async () => {
  server = await startTestServer({ accelRedirect: '/protected/' });
  nginx = await start('nginx', { upstreamPort: server.port, protectedRoot: server.root });
  front = nginx.env.STOWAGE_NGINX_URL!;
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  await server?.dispose();
});

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('base64');

/** Ask the server's API for URLs, but through nginx, so they point at nginx. */
async function api(path: string, body: unknown): Promise<Response> {
  return fetch(`${front}/api/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-stowage-api-user': 'pipeline',
      'x-stowage-api-key': 'pipeline-key-0123456789abcdef',
    },
    body: JSON.stringify(body),
  });
}

describe('behind nginx (X-Accel-Redirect)', () => {
  it('uploads through nginx and downloads the bytes nginx serves from storage', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 7);
    const id = 'shots/sh010/plate with space.0001.exr';
    const upload = (await (
      await api('upload-metadata', { componentId: id, fileSize: data.length, checksum: md5(data) })
    ).json()) as { url: string; headers: Record<string, string> };
    expect(new URL(upload.url).origin).toBe(front);
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: data });
    expect(put.status).toBe(200);
    await put.body?.cancel();

    const signed = (await (await api('sign', { action: 'get', componentId: id })).json()) as { url: string };
    const download = await fetch(signed.url);
    expect(download.status).toBe(200);
    // nginx, not the file server, sent the bytes: its Server header, and the
    // internal redirect header never reaches the client.
    expect(download.headers.get('server')).toMatch(/^nginx/);
    expect(download.headers.get('x-accel-redirect')).toBeNull();
    expect(download.headers.get('content-length')).toBe(String(data.length));
    expect(download.headers.get('access-control-allow-origin')).toBe('*');
    expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true);

    const partial = await fetch(signed.url, { headers: { range: 'bytes=100-199' } });
    expect(partial.status).toBe(206);
    expect(Buffer.from(await partial.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);
  });

  it('the file server alone only names the file; nginx refuses direct access to storage', async () => {
    const data = Buffer.from('accel');
    const upload = (await (await api('upload-metadata', { componentId: 'accel-only' })).json()) as {
      url: string;
      headers: Record<string, string>;
    };
    expect((await fetch(upload.url, { method: 'PUT', body: data })).status).toBe(200);
    const signed = (await (await api('sign', { action: 'get', componentId: 'accel-only' })).json()) as {
      url: string;
    };
    const direct = await fetch(signed.url.replace(front, server.url));
    expect(direct.headers.get('x-accel-redirect')).toBe('/protected/accel-only');
    expect((await direct.arrayBuffer()).byteLength).toBe(0);
    // The internal location is not reachable from outside.
    expect((await fetch(`${front}/protected/accel-only`)).status).toBe(404);
    // A bad signature never gets as far as nginx's file serving.
    const forged = new URL(signed.url);
    forged.searchParams.set('signature', 'A'.repeat(43));
    expect((await fetch(forged)).status).toBe(403);
  });
});
