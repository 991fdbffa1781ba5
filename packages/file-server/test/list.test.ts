import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.dispose());

async function upload(id: string, body: string): Promise<void> {
  const { url, headers } = await server.uploadUrl({ componentId: id, overwrite: true });
  const response = await fetch(url, { method: 'PUT', headers, body });
  expect(response.status, id).toBe(200);
  await response.body?.cancel();
}

describe('/api/list and /api/remove-container', () => {
  it('lists direct children with sizes, and folders disappear with their last file', async () => {
    await upload('shots/sh010/a.exr', 'aa');
    await upload('shots/sh010/b.exr', 'bbb');
    await upload('shots/notes.txt', 'n');
    const listing = (await (await server.api('list', { prefix: 'shots' })).json()) as {
      entries: Array<{ id: string; size: number; isContainer: boolean }>;
    };
    expect(listing.entries.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: 'shots/notes.txt', size: 1, isContainer: false },
      { id: 'shots/sh010', size: expect.any(Number), isContainer: true },
    ]);
    expect((await server.api('list', { prefix: 'missing' })).status).toBe(404);
    expect((await server.api('list', { prefix: 'shots/notes.txt' })).status).toBe(409);
    expect((await server.api('list', { prefix: '../x' })).status).toBe(400);

    for (const id of ['shots/sh010/a.exr', 'shots/sh010/b.exr']) {
      const response = await fetch(await server.signed('remove', id), { method: 'DELETE' });
      expect(response.status).toBe(200);
    }
    // The emptied folder went with its last file.
    expect((await server.api('list', { prefix: 'shots/sh010' })).status).toBe(404);

    expect((await server.api('remove-container', { prefix: 'shots' })).status).toBe(409);
    expect((await server.api('remove-container', { prefix: 'shots', recursive: true })).status).toBe(200);
    expect(await server.storedFiles()).toEqual([]);
    expect((await server.api('remove-container', { prefix: '' })).status).toBe(400);
    expect((await server.api('list', { prefix: '' }, {})).status).toBe(401);
  });
});
