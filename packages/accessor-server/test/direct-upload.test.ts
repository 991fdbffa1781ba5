import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskAccessor } from '@stowage/accessor-disk';
import { AccessorIntegrityError, readAll } from '@stowage/core';
import { signUrl, startFileServer, type UploadUrlOptions } from '@stowage/file-server';
import { expect, it } from 'vitest';
import { ServerAccessor } from '../src/index.js';
import { API_KEY, SECRET, USER } from './helpers.js';

// Seed 002's flow: upload-metadata hands out the *storage's* presigned URL and
// a completion URL; the client PUTs to the storage, then calls completion,
// and the server checks what arrived. The "storage" here is a second file
// server over the same folder, presigning with its own secret, so the whole
// flow runs over real HTTP without S3.
it('uploads straight to a presigning storage, then completes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'stowage-direct-'));
  const storageSecret = 'storage-secret-0123456789abcdef';
  const disk = new DiskAccessor({ prefix: root, fsync: false });
  const storage = await startFileServer({ secret: storageSecret, accessor: disk });
  const presigning = Object.create(disk) as DiskAccessor & {
    getUploadUrl(path: string, options: UploadUrlOptions): Promise<string>;
  };
  Object.defineProperty(presigning, 'capabilities', { value: { ...disk.capabilities, presignWrite: true } });
  presigning.getUploadUrl = async (path, options) =>
    signUrl(
      storage.url,
      'put',
      {
        id: path,
        size: options.size,
        md5: options.md5,
        overwrite: true,
        timeout: Math.floor(Date.now() / 1000) + options.expiresIn,
      },
      storageSecret,
    );
  const server = await startFileServer({
    secret: SECRET,
    apiKeys: { [USER]: API_KEY },
    accessor: presigning,
    directUpload: true,
  });
  try {
    const metadata = (await (
      await fetch(`${server.url}/api/upload-metadata`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-stowage-api-user': USER,
          'x-stowage-api-key': API_KEY,
        },
        body: JSON.stringify({ componentId: 'direct/probe.bin', fileSize: 3 }),
      })
    ).json()) as { url: string; completeUrl: string };
    expect(new URL(metadata.url).origin).toBe(storage.url);
    expect(new URL(metadata.completeUrl).pathname).toBe('/complete');
    // Completion before the bytes arrived: nothing to register.
    expect((await fetch(metadata.completeUrl, { method: 'POST' })).status).toBe(404);

    const accessor = new ServerAccessor({ url: server.url, user: USER, apiKey: API_KEY });
    const data = Buffer.from('straight to storage');
    const written = await accessor
      .write('direct/file.txt', data, {
        size: data.length,
        checksum: { algorithm: 'md5', value: '4a5fa8cd5e4f8bc4a0e9e1b7b6f5bd0c' },
      })
      .catch((error: unknown) => error);
    // A wrong checksum is refused by the storage's signed PUT: nothing kept.
    expect(written).toBeInstanceOf(AccessorIntegrityError);
    expect(await accessor.exists('direct/file.txt')).toBe(false);

    const ok = await accessor.write('direct/file.txt', data, { size: data.length, checksums: ['md5'] });
    expect(ok.size).toBe(data.length);
    expect((await readAll(await accessor.createReadStream('direct/file.txt'))).equals(data)).toBe(true);
  } finally {
    await server.close();
    await storage.close();
    rmSync(root, { recursive: true, force: true });
  }
});
