import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startFileServer } from '../src/index.js';

// The README's "From code" example, step by step.
it('runs the README example', async () => {
  const root = mkdtempSync(join(tmpdir(), 'stowage-readme-'));
  const server = await startFileServer({
    root,
    secret: 'a-long-random-secret-0123456789',
    apiKeys: { pipeline: 'a-long-random-api-key-0123456789' },
    port: 0,
  });
  try {
    const auth = {
      'x-stowage-api-user': 'pipeline',
      'x-stowage-api-key': 'a-long-random-api-key-0123456789',
    };
    const meta = (await fetch(`${server.url}/api/upload-metadata`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ componentId: 'notes/take1.txt', fileSize: 10 }),
    }).then((response) => response.json())) as { url: string; headers: Record<string, string> };
    const put = await fetch(meta.url, { method: 'PUT', headers: meta.headers, body: 'first take' });
    expect(put.status).toBe(200);

    const { url } = (await fetch(`${server.url}/api/sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ action: 'get', componentId: 'notes/take1.txt' }),
    }).then((response) => response.json())) as { url: string };
    expect(await fetch(url).then((response) => response.text())).toBe('first take');
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
