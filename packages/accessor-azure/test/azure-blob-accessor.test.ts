import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { rejectsWith, testBytes } from '@stowage/conformance';
import {
  type Accessor,
  AccessorContainerNotEmptyError,
  AccessorIntegrityError,
  AccessorParentResourceNotFoundError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  AccessorResourceInvalidError,
  defineCapabilities,
  MemoryAccessor,
  MemoryCheckpointStore,
  type OpenReadOptions,
  OperationAbortedError,
  readAll,
  transferFile,
} from '@stowage/core';
import { afterAll, describe, expect, it } from 'vitest';
import { AzureBlobAccessor } from '../src/index.js';
import { accountKey, blobNames, isolatedAccessor, serverEnv, testOptions } from './helpers.js';

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');
const opened: AzureBlobAccessor[] = [];
function fresh(overrides: Parameters<typeof isolatedAccessor>[0] = {}) {
  const made = isolatedAccessor(overrides);
  opened.push(made.accessor);
  return made;
}
afterAll(async () => {
  for (const accessor of opened) {
    await accessor.removeContainer('', { recursive: true }).catch(() => {});
    await accessor.close();
  }
});

describe('block upload', () => {
  it('uploads a file larger than the block size in blocks, commits once, stores Content-MD5', async () => {
    const { accessor, prefix } = fresh({ blockSize: 256 * 1024, concurrency: 3 });
    const data = testBytes(6 * 256 * 1024 + 7, 'multi');
    const progress: number[] = [];
    const result = await accessor.write('big.bin', Readable.from(chunks(data, 100_000)), {
      checksums: ['md5', 'sha256'],
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(result.size).toBe(data.length);
    expect(result.checksums.md5).toBe(md5(data));
    expect(progress.at(-1)).toBe(data.length);
    const blocks = await accessor.containerClient
      .getBlockBlobClient(`${prefix}/big.bin`)
      .getBlockList('committed');
    expect(blocks.committedBlocks).toHaveLength(7);
    expect(blocks.committedBlocks?.[0]?.size).toBe(256 * 1024);
    const properties = await accessor.containerClient.getBlobClient(`${prefix}/big.bin`).getProperties();
    expect(Buffer.from(properties.contentMD5!).toString('hex')).toBe(md5(data));
    expect((await accessor.stat('big.bin')).checksums?.md5).toBe(md5(data));
    const back = await readAll(await accessor.createReadStream('big.bin'));
    expect(back.equals(data)).toBe(true);
  });

  it('without per-block MD5 the blob still gets its Content-MD5', async () => {
    const { accessor } = fresh({ blockSize: 64 * 1024, blockMd5: false });
    const data = testBytes(3 * 64 * 1024 + 5, 'nomd5');
    await accessor.write('n.bin', data);
    expect((await accessor.stat('n.bin')).checksums?.md5).toBe(md5(data));
    expect((await readAll(await accessor.createReadStream('n.bin'))).equals(data)).toBe(true);
  });

  it('a small file goes up in one Put Blob, with Content-MD5', async () => {
    const { accessor, prefix } = fresh();
    await accessor.write('small.txt', 'tiny');
    const properties = await accessor.containerClient.getBlobClient(`${prefix}/small.txt`).getProperties();
    expect(Buffer.from(properties.contentMD5!).toString('hex')).toBe(md5(Buffer.from('tiny')));
  });

  it('an abort after blocks were staged leaves no blob', async () => {
    const { accessor, prefix } = fresh({ blockSize: 64 * 1024, concurrency: 2 });
    const controller = new AbortController();
    let staged = 0;
    async function* slow() {
      for (let i = 0; i < 200; i++) {
        yield testBytes(64 * 1024, `a${i}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    const error = await accessor
      .write('aborted.bin', slow(), {
        signal: controller.signal,
        onProgress: (bytes) => {
          staged = bytes;
          if (bytes >= 4 * 64 * 1024) controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationAbortedError);
    expect(staged).toBeGreaterThanOrEqual(4 * 64 * 1024);
    expect(await accessor.exists('aborted.bin')).toBe(false);
    expect(await blobNames(accessor, `${prefix}/`)).toEqual([]);
  });

  it('a size mismatch after several blocks commits nothing', async () => {
    const { accessor, prefix } = fresh({ blockSize: 64 * 1024 });
    const data = testBytes(5 * 64 * 1024 + 1, 'size');
    await rejectsWith(accessor.write('s.bin', data, { size: data.length - 1 }), AccessorIntegrityError);
    expect(await blobNames(accessor, `${prefix}/`)).toEqual([]);
  });

  it('overwrite false on a small write of a known size (no early HEAD) loses at the commit', async () => {
    const { accessor } = fresh();
    await accessor.write('small.bin', 'keep', { size: 4 });
    await rejectsWith(
      accessor.write('small.bin', 'lose', { size: 4, overwrite: false }),
      AccessorResourceExistsError,
    );
    expect((await readAll(await accessor.createReadStream('small.bin'))).toString()).toBe('keep');
    await accessor.makeContainer('folder');
    await rejectsWith(
      accessor.write('folder', 'data', { size: 4, overwrite: false }),
      AccessorResourceInvalidError,
    );
  });

  it('overwrite false on a multi-block upload loses to an existing blob and keeps it', async () => {
    const { accessor } = fresh({ blockSize: 64 * 1024 });
    await accessor.write('keep.bin', 'keep');
    await rejectsWith(
      accessor.write('keep.bin', testBytes(3 * 64 * 1024), { overwrite: false }),
      AccessorResourceExistsError,
    );
    expect((await readAll(await accessor.createReadStream('keep.bin'))).toString()).toBe('keep');
  });
});

describe('integrity on read', () => {
  /** A blob whose stored Content-MD5 is not its bytes' (written around the accessor: Put Block List stores the MD5 it is given). */
  async function corruptBlob(accessor: AzureBlobAccessor, prefix: string, name: string) {
    await accessor.containerClient.createIfNotExists();
    const client = accessor.containerClient.getBlockBlobClient(`${prefix}/${name}`);
    const id = Buffer.from('block-000000').toString('base64');
    await client.stageBlock(id, Buffer.from('actual bytes'), 12);
    await client.commitBlockList([id], { blobHTTPHeaders: { blobContentMD5: Buffer.alloc(16, 1) } });
  }

  it('a whole-blob read whose bytes do not match the stored Content-MD5 fails', async () => {
    const { accessor, prefix } = fresh();
    await corruptBlob(accessor, prefix, 'corrupt.bin');
    await expect(readAll(await accessor.createReadStream('corrupt.bin'))).rejects.toBeInstanceOf(
      AccessorIntegrityError,
    );
    // A range cannot be checked against the whole blob's MD5, so it reads.
    expect(
      (await readAll(await accessor.createReadStream('corrupt.bin', { start: 0, end: 5 }))).toString(),
    ).toBe('actual');
  });

  it('openRead checks the Content-MD5 unless the caller does (verify: false)', async () => {
    const { accessor, prefix } = fresh();
    await corruptBlob(accessor, prefix, 'corrupt.bin');
    const checked = await accessor.openRead('corrupt.bin');
    expect(checked.verified).toBe(true);
    await expect(readAll(checked.stream)).rejects.toBeInstanceOf(AccessorIntegrityError);
    const unchecked = await accessor.openRead('corrupt.bin', { verify: false });
    expect(unchecked.verified).toBe(false);
    expect(unchecked.stat.checksums?.md5).toBe('01'.repeat(16));
    expect((await readAll(unchecked.stream)).toString()).toBe('actual bytes');
  });

  it.each([
    ['streamed', false],
    ['resumable', true],
  ])(
    'a %s transfer of a blob that does not match its Content-MD5 fails, retried, and leaves nothing',
    async (_label, resumable) => {
      const { accessor, prefix } = fresh();
      await corruptBlob(accessor, prefix, 'corrupt.bin');
      // Resumable: a target that resumes writes (another blob), so the copy
      // reads a range after its fingerprint; the check must still happen.
      const target: Accessor = resumable ? fresh().accessor : new MemoryAccessor();
      let attempts = 0;
      const counting = Object.assign(Object.create(accessor) as AzureBlobAccessor, {
        openRead: (id: string, options?: OpenReadOptions) => {
          attempts++;
          return accessor.openRead(id, options);
        },
      });
      const error = await transferFile(counting, 'corrupt.bin', target, 'copy.bin', {
        fastPaths: false,
        retries: 1,
        ...(resumable ? { checkpoints: { store: new MemoryCheckpointStore(), key: 'k', threshold: 1 } } : {}),
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AccessorIntegrityError);
      expect((error as AccessorIntegrityError).transient).toBe(true);
      expect(attempts).toBe(2);
      expect(await target.exists('copy.bin')).toBe(false);
    },
  );
});

describe('virtual folders', () => {
  it('makeContainer writes hdi_isfolder markers; folders without markers still count', async () => {
    const { accessor, prefix } = fresh();
    await accessor.makeContainer('a/b');
    expect(await blobNames(accessor, `${prefix}/`)).toEqual([`${prefix}/a/`, `${prefix}/a/b/`]);
    const marker = await accessor.containerClient.getBlobClient(`${prefix}/a/b/`).getProperties();
    expect(marker.metadata).toEqual({ hdi_isfolder: 'true' });
    // Another tool's blob implies its folders.
    await accessor.containerClient.getBlockBlobClient(`${prefix}/implicit/deep/x.txt`).upload('x', 1);
    expect(await accessor.list('')).toEqual(['a', 'implicit']);
    expect(await accessor.isContainer('implicit/deep')).toBe(true);
    expect(await accessor.list('implicit/deep')).toEqual(['implicit/deep/x.txt']);
    await accessor.write('implicit/deep/y.txt', 'y');
    expect(await accessor.listStats!('implicit/deep')).toEqual([
      { resourceIdentifier: 'implicit/deep/x.txt', size: 1, isContainer: false },
      { resourceIdentifier: 'implicit/deep/y.txt', size: 1, isContainer: false },
    ]);
  });

  it('behaves like real directories where it can (the conformance cases for real containers)', async () => {
    const { accessor } = fresh();
    await rejectsWith(accessor.makeContainer('x/y', false), AccessorParentResourceNotFoundError);
    await accessor.makeContainer('x', false);
    await accessor.makeContainer('x/y', false);
    expect(await accessor.isContainer('x/y')).toBe(true);
    await accessor.write('f.txt', 'f');
    await rejectsWith(accessor.list('f.txt'), AccessorResourceInvalidError);
    await rejectsWith(accessor.removeContainer('f.txt'), AccessorResourceInvalidError);
    await rejectsWith(accessor.makeContainer('f.txt'), AccessorResourceInvalidError);
    await rejectsWith(accessor.makeContainer('f.txt/sub'), AccessorResourceInvalidError);
    await rejectsWith(accessor.write('x', 'over a folder'), AccessorResourceInvalidError);
    expect(await accessor.exists('f.txt')).toBe(true);
  });

  it('the prefix confines the accessor: siblings are invisible, escapes are refused', async () => {
    const { accessor, prefix } = fresh();
    await accessor.containerClient.getBlockBlobClient(`${prefix}-sibling/x.txt`).upload('x', 1);
    try {
      await accessor.write('inside.txt', 'i');
      expect(await accessor.list('')).toEqual(['inside.txt']);
      await rejectsWith(accessor.stat(`../${prefix}-sibling/x.txt`), AccessorResourceIdentifierError);
      await rejectsWith(accessor.write('a/../../x', 'x'), AccessorResourceIdentifierError);
    } finally {
      await accessor.containerClient.getBlobClient(`${prefix}-sibling/x.txt`).delete();
    }
  });

  it('removeContainer removes a tree of many blobs, and refuses without recursive', async () => {
    const { accessor, prefix } = fresh();
    const names: string[] = [];
    for (let folder = 0; folder < 5; folder++) {
      await accessor.makeContainer(`tree/f${folder}/sub`);
      for (let file = 0; file < 40; file++)
        names.push(`tree/f${folder}/${file % 2 ? 'sub/' : ''}n${file}.bin`);
    }
    const queue = [...names];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let name = queue.shift(); name; name = queue.shift()) await accessor.write(name, name);
      }),
    );
    expect((await blobNames(accessor, `${prefix}/tree/`)).length).toBe(200 + 11);
    await rejectsWith(accessor.removeContainer('tree'), AccessorContainerNotEmptyError);
    await accessor.removeContainer('tree', { recursive: true });
    expect(await blobNames(accessor, `${prefix}/`)).toEqual([]);
    expect(await accessor.exists('tree')).toBe(false);
  });
});

describe('SAS URLs', () => {
  it('getUrl returns a read-only SAS URL that fetch() can read, without the account key', async () => {
    const { accessor } = fresh();
    const data = testBytes(100_000, 'sas');
    await accessor.makeContainer('shared');
    await accessor.write('shared/file name #1.bin', data);
    const url = await accessor.getUrl('shared/file name #1.bin', { expiresIn: 600 });
    const key = accountKey();
    expect(key.length).toBeGreaterThan(10);
    expect(url).not.toContain(key);
    expect(url).not.toContain(encodeURIComponent(key));
    const parsed = new URL(url);
    expect(parsed.searchParams.get('sp')).toBe('r');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
    // Read-only: a PUT with it is refused.
    const put = await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'x' });
    expect(put.status).toBe(403);
  });

  it('an expired SAS URL is refused', async () => {
    const { accessor } = fresh();
    await accessor.write('soon.txt', 'soon');
    const url = await accessor.getUrl('soon.txt', { expiresIn: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await fetch(url)).status).toBe(403);
  });

  it('getPutUrl lets a client PUT one blob', async () => {
    const { accessor } = fresh();
    const url = await accessor.getPutUrl('uploads/u.txt');
    expect(new URL(url).searchParams.get('sp')).toBe('cw');
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
      body: 'uploaded',
    });
    expect(put.status).toBe(201);
    expect((await readAll(await accessor.createReadStream('uploads/u.txt'))).toString()).toBe('uploaded');
  });
});

describe('copy', () => {
  it('copy() is server-side and keeps Content-MD5', async () => {
    const { accessor } = fresh();
    const data = testBytes(300_000, 'copy');
    await accessor.write('src.bin', data);
    await accessor.makeContainer('dst');
    const result = await accessor.copy('src.bin', 'dst/copy.bin');
    expect(result).toEqual({ size: data.length, checksums: { md5: md5(data) } });
    expect((await readAll(await accessor.createReadStream('dst/copy.bin'))).equals(data)).toBe(true);
  });

  it('copyFrom another Azure accessor on the account copies server-side', async () => {
    const { accessor: source } = fresh();
    const { accessor: target } = fresh();
    await source.write('a.bin', testBytes(70_000, 'x'));
    const result = await target.copyFrom(source, 'a.bin', 'b.bin');
    expect(result?.size).toBe(70_000);
    expect(md5(await readAll(await target.createReadStream('b.bin')))).toBe(md5(testBytes(70_000, 'x')));
  });

  it('copyFromUrl copies from a presigned URL (here another blob SAS URL)', async () => {
    const { accessor: source } = fresh();
    const { accessor: target } = fresh();
    const data = testBytes(123_457, 'url');
    await source.write('s.bin', data);
    const url = await source.getUrl('s.bin');
    const result = await target.copyFromUrl(url, 'from-url.bin');
    expect(result.size).toBe(data.length);
    expect((await readAll(await target.createReadStream('from-url.bin'))).equals(data)).toBe(true);
    await rejectsWith(
      target.copyFromUrl(url, 'from-url.bin', { overwrite: false }),
      AccessorResourceExistsError,
    );
  });

  it('copyFrom a presigned URL Azure cannot fetch falls back to streaming (undefined), leaving nothing', async () => {
    const { accessor: target, prefix } = fresh();
    const memory = new MemoryAccessor();
    await memory.write('x.bin', 'bytes');
    // A source that claims presigned URLs nobody can reach (an S3 on a private network).
    const unreachable = Object.assign(Object.create(memory) as Accessor, {
      capabilities: defineCapabilities({ ...memory.capabilities, url: 'presigned', presignRead: true }),
      getUrl: async () => 'http://127.0.0.1:9/bucket/x.bin?X-Amz-Signature=abc',
    });
    expect(await target.copyFrom(unreachable, 'x.bin', 'y.bin')).toBeUndefined();
    expect(await blobNames(target, `${prefix}/`)).toEqual([]);
  });
});

describe('errors', () => {
  it('a wrong account key: AccessorPermissionDeniedError, and no key or signature in the error', async () => {
    const wrongKey = Buffer.alloc(64, 7).toString('base64');
    const connectionString = serverEnv().connectionString.replace(
      /AccountKey=[^;]+/,
      `AccountKey=${wrongKey}`,
    );
    const accessor = new AzureBlobAccessor({ ...testOptions(), connectionString, prefix: 'nope' });
    const error = await rejectsWith(accessor.write('x.txt', 'x'), AccessorPermissionDeniedError);
    const text = `${error.message} ${JSON.stringify(error.details)} ${String((error.cause as Error)?.message)} ${error.stack}`;
    for (const secret of [wrongKey, accountKey()]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/sig=[A-Za-z0-9%]/);
  });

  it('an invalid connection string fails without echoing it', () => {
    const secret = 'c2VjcmV0LXNlY3JldC1zZWNyZXQ=';
    expect(
      () => new AzureBlobAccessor({ container: 'c', connectionString: `AccountKey=${secret};nonsense` }),
    ).toThrow(/Invalid Azure connection string/);
    try {
      new AzureBlobAccessor({ container: 'c', connectionString: `AccountKey=${secret};nonsense` });
    } catch (error) {
      expect(`${(error as Error).message} ${String((error as Error).cause)}`).not.toContain(secret);
    }
  });

  it('an aborted read stops with OperationAbortedError', async () => {
    const { accessor } = fresh();
    await accessor.write('r.bin', testBytes(4 * 1024 * 1024, 'r'));
    const controller = new AbortController();
    const stream = await accessor.createReadStream('r.bin', { signal: controller.signal });
    controller.abort();
    await expect(readAll(stream)).rejects.toBeInstanceOf(OperationAbortedError);
  });
});

function* chunks(data: Buffer, size: number) {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}
