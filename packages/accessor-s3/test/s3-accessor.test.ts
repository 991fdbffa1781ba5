import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { testBytes } from '@stowage/conformance';
import {
  AccessorIntegrityError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  AccessorResourceNotFoundError,
  MemoryAccessor,
  OperationAbortedError,
  readAll,
} from '@stowage/core';
import { afterAll, describe, expect, it } from 'vitest';
import { S3Accessor, s3AccessorOptionsFromEnv } from '../src/index.js';
import { isolatedAccessor, openUploads, rawClient, serverEnv } from './helpers.js';

const MiB = 1024 * 1024;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const raw = rawClient();
const opened: S3Accessor[] = [];

function fresh(overrides: Parameters<typeof isolatedAccessor>[0] = {}) {
  const result = isolatedAccessor(overrides);
  opened.push(result.accessor);
  return result;
}

afterAll(async () => {
  for (const accessor of opened) {
    await accessor.removeContainer('', { recursive: true }).catch(() => {});
    await accessor.close();
  }
  raw.destroy();
});

/** Yields `chunks` chunks of `size` bytes, waiting a little between them. */
async function* slowSource(chunks: number, size: number, onChunk?: (index: number) => void) {
  for (let i = 0; i < chunks; i++) {
    onChunk?.(i);
    yield testBytes(size, `chunk${i}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('multipart writes (lib-storage Upload)', () => {
  it('uploads 12 MiB in 5 MiB parts and reads the same bytes back', async () => {
    const { accessor, prefix } = fresh({ partSize: 5 * MiB });
    const data = testBytes(12 * MiB + 123, 'multipart');
    const progress: number[] = [];
    const result = await accessor.write('big.bin', Readable.from([data]), {
      checksums: ['sha256'],
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(result).toEqual({ size: data.length, checksums: { sha256: sha256(data) } });
    expect(progress.at(-1)).toBe(data.length);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
    const head = await raw.send(
      new HeadObjectCommand({ Bucket: serverEnv().bucket, Key: `${prefix}/big.bin` }),
    );
    // A multipart ETag ends in -<parts>.
    expect(head.ETag).toMatch(/-3"?$/);
    expect(sha256(await readAll(await accessor.createReadStream('big.bin')))).toBe(sha256(data));
    const middle = await readAll(
      await accessor.createReadStream('big.bin', { start: 5 * MiB - 3, end: 5 * MiB + 2 }),
    );
    expect(middle.equals(data.subarray(5 * MiB - 3, 5 * MiB + 3))).toBe(true);
    expect(await openUploads(raw, prefix)).toEqual([]);
  });

  it('an abort mid-upload leaves no multipart upload and no object', async () => {
    const { accessor, prefix } = fresh({ partSize: 5 * MiB });
    const controller = new AbortController();
    const error = await accessor
      .write(
        'aborted.bin',
        slowSource(40, MiB, (i) => {
          if (i === 12) controller.abort();
        }),
        { signal: controller.signal },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationAbortedError);
    expect(await openUploads(raw, prefix)).toEqual([]);
    expect(await accessor.exists('aborted.bin')).toBe(false);
  });

  it('a source failing after two parts leaves no multipart upload and no object', async () => {
    const { accessor, prefix } = fresh({ partSize: 5 * MiB });
    async function* failing() {
      yield* slowSource(11, MiB);
      throw new Error('source broke');
    }
    await expect(accessor.write('broken.bin', failing())).rejects.toThrow(/source broke/);
    expect(await openUploads(raw, prefix)).toEqual([]);
    expect(await accessor.exists('broken.bin')).toBe(false);
  });

  it('a size mismatch on a multipart upload leaves nothing', async () => {
    const { accessor, prefix } = fresh({ partSize: 5 * MiB });
    await expect(
      accessor.write('short.bin', slowSource(11, MiB), { size: 11 * MiB + 1 }),
    ).rejects.toBeInstanceOf(AccessorIntegrityError);
    expect(await openUploads(raw, prefix)).toEqual([]);
    expect(await accessor.exists('short.bin')).toBe(false);
  });

  it('overwrite false refuses an existing object for multipart uploads too', async () => {
    const { accessor, prefix } = fresh({ partSize: 5 * MiB });
    await accessor.write('keep.bin', 'precious');
    await expect(
      accessor.write('keep.bin', testBytes(11 * MiB), { overwrite: false }),
    ).rejects.toBeInstanceOf(AccessorResourceExistsError);
    expect((await readAll(await accessor.createReadStream('keep.bin'))).toString()).toBe('precious');
    expect(await openUploads(raw, prefix)).toEqual([]);
  });

  it('grows the part size so a known size never needs more than 10,000 parts', async () => {
    const { accessor } = fresh({ partSize: 5 * MiB });
    // Not uploaded: the size check fails before any part could be sent.
    const error = await accessor
      .write('huge.bin', slowSource(1, 10), { size: 100 * 1024 * MiB })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessorIntegrityError);
  });
});

describe('bytes in hand (one PutObject)', () => {
  /** The commands the accessor's client sends, by name. */
  function recordCommands(accessor: S3Accessor): string[] {
    const seen: string[] = [];
    accessor.client.middlewareStack.add(
      (next, context) => (args) => {
        seen.push(context.commandName ?? '');
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    return seen;
  }

  it('sends bytes up to a part as one PutObject, with their checksums and progress', async () => {
    const { accessor } = fresh({ partSize: 5 * MiB });
    await accessor.makeContainer('shots', true);
    const seen = recordCommands(accessor);
    const data = testBytes(5 * MiB, 'in-hand');
    const progress: number[] = [];
    const result = await accessor.write('shots/a.bin', data, {
      overwrite: false,
      checksums: ['md5'],
      checksum: { algorithm: 'sha256', value: sha256(data) },
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(seen).toEqual(['PutObjectCommand']);
    expect(result).toEqual({
      size: data.length,
      checksums: { md5: createHash('md5').update(data).digest('hex') },
    });
    expect(progress.at(-1)).toBe(data.length);
    expect(sha256(await readAll(await accessor.createReadStream('shots/a.bin')))).toBe(sha256(data));
  });

  it('a size or checksum mismatch sends nothing', async () => {
    const { accessor } = fresh();
    await accessor.makeContainer('shots', true);
    const seen = recordCommands(accessor);
    const data = testBytes(4096, 'mismatch');
    await expect(accessor.write('shots/short.bin', data, { size: 4097 })).rejects.toBeInstanceOf(
      AccessorIntegrityError,
    );
    await expect(
      accessor.write('shots/bad.bin', data, {
        checksum: { algorithm: 'sha256', value: sha256(Buffer.from('x')) },
      }),
    ).rejects.toBeInstanceOf(AccessorIntegrityError);
    expect(seen).not.toContain('PutObjectCommand');
    expect(await accessor.exists('shots/short.bin')).toBe(false);
    expect(await accessor.exists('shots/bad.bin')).toBe(false);
  });

  it('overwrite false refuses an existing object and keeps it', async () => {
    const { accessor } = fresh();
    await accessor.write('keep.bin', 'precious');
    await expect(accessor.write('keep.bin', testBytes(4096), { overwrite: false })).rejects.toBeInstanceOf(
      AccessorResourceExistsError,
    );
    expect((await readAll(await accessor.createReadStream('keep.bin'))).toString()).toBe('precious');
  });

  it('an aborted signal sends nothing', async () => {
    const { accessor } = fresh();
    const seen = recordCommands(accessor);
    const controller = new AbortController();
    controller.abort();
    await expect(
      accessor.write('aborted.bin', testBytes(4096), { signal: controller.signal }),
    ).rejects.toBeInstanceOf(OperationAbortedError);
    expect(seen).not.toContain('PutObjectCommand');
    expect(await accessor.exists('aborted.bin')).toBe(false);
  });
});

describe('presigned URLs', () => {
  it('getUrl returns a presigned GET that fetch() can read, without the secret key', async () => {
    const { accessor } = fresh();
    await accessor.makeContainer('shot 1');
    await accessor.write('shot 1/frame #1.exr', 'pixels');
    const url = await accessor.getUrl('shot 1/frame #1.exr', { expiresIn: 120 });
    expect(url).not.toContain(serverEnv().secretAccessKey);
    expect(url).not.toContain(encodeURIComponent(serverEnv().secretAccessKey));
    const parsed = new URL(url);
    expect(parsed.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(parsed.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('pixels');
  });

  it('a tampered presigned URL is refused (the server checks SigV4)', async () => {
    const { accessor } = fresh();
    await accessor.write('f.txt', 'x');
    const url = new URL(await accessor.getUrl('f.txt'));
    url.searchParams.set('X-Amz-Expires', '999');
    const response = await fetch(url);
    expect(response.status).toBe(403);
  });

  it('getPutUrl returns a presigned PUT that uploads', async () => {
    const { accessor } = fresh();
    const url = await accessor.getPutUrl('direct.txt', { expiresIn: 60 });
    expect(url).not.toContain(serverEnv().secretAccessKey);
    const response = await fetch(url, { method: 'PUT', body: 'uploaded directly' });
    expect(response.status).toBe(200);
    expect((await readAll(await accessor.createReadStream('direct.txt'))).toString()).toBe(
      'uploaded directly',
    );
  });
});

describe('listing', () => {
  it('paginates (page size 7) and returns sizes with listStats', async () => {
    const { accessor } = fresh({ listPageSize: 7 });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        accessor.write(`f${String(i).padStart(2, '0')}.bin`, 'x'.repeat(i)),
      ),
    );
    await accessor.makeContainer('dir-a');
    await accessor.write('dir-b/inner.txt', 'inner').catch(async () => {
      await accessor.makeContainer('dir-b');
      await accessor.write('dir-b/inner.txt', 'inner');
    });
    const entries = await accessor.listStats('');
    expect(entries).toHaveLength(32);
    expect(entries.filter((entry) => entry.isContainer).map((entry) => entry.resourceIdentifier)).toEqual([
      'dir-a',
      'dir-b',
    ]);
    expect(entries.find((entry) => entry.resourceIdentifier === 'f29.bin')?.size).toBe(29);
  });

  it('keys are confined to the prefix, and identifiers escaping it are refused', async () => {
    const { accessor, prefix } = fresh();
    await accessor.makeContainer('a');
    await accessor.write('a/b.txt', 'b');
    const listed = await raw.send(
      new ListObjectsV2Command({ Bucket: serverEnv().bucket, Prefix: `${prefix}/` }),
    );
    expect((listed.Contents ?? []).map((object) => object.Key).sort()).toEqual([
      `${prefix}/a/`,
      `${prefix}/a/b.txt`,
    ]);
    expect(() => accessor.key('a/../../x')).toThrow(AccessorResourceIdentifierError);
    await expect(accessor.getUrl('../x')).rejects.toBeInstanceOf(AccessorResourceIdentifierError);
  });

  it('a prefix with keys but no marker (written by another tool) is a container', async () => {
    const { accessor, prefix } = fresh();
    await raw.send(
      new PutObjectCommand({ Bucket: serverEnv().bucket, Key: `${prefix}/foreign/deep/x.txt`, Body: 'x' }),
    );
    expect(await accessor.isContainer('foreign')).toBe(true);
    expect(await accessor.list('foreign')).toEqual(['foreign/deep']);
    await accessor.write('foreign/deep/y.txt', 'y');
    expect(await accessor.list('foreign/deep')).toEqual(['foreign/deep/x.txt', 'foreign/deep/y.txt']);
  });
});

describe('server-side copy', () => {
  it('CopyObject for small objects', async () => {
    const { accessor } = fresh();
    const data = testBytes(70_000, 'copy');
    await accessor.write('a.bin', data);
    expect(await accessor.copy('a.bin', 'b.bin')).toEqual({ size: data.length, checksums: {} });
    expect(sha256(await readAll(await accessor.createReadStream('b.bin')))).toBe(sha256(data));
  });

  it('UploadPartCopy above the multipart threshold (12 MiB in 5 MiB parts)', async () => {
    const { accessor, prefix } = fresh({ multipartCopyThreshold: 5 * MiB, copyPartSize: 5 * MiB });
    const data = testBytes(12 * MiB + 7, 'partcopy');
    await accessor.write('src.bin', data);
    expect((await accessor.copy('src.bin', 'dst.bin')).size).toBe(data.length);
    expect(sha256(await readAll(await accessor.createReadStream('dst.bin')))).toBe(sha256(data));
    await expect(accessor.copy('src.bin', 'dst.bin', { overwrite: false })).rejects.toBeInstanceOf(
      AccessorResourceExistsError,
    );
    expect(await openUploads(raw, prefix)).toEqual([]);
  });

  it('copy into a missing container and from a missing source fail with typed errors', async () => {
    const { accessor } = fresh();
    await accessor.write('a.txt', 'a');
    await expect(accessor.copy('missing.txt', 'b.txt')).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
    await expect(accessor.copy('a.txt', 'nowhere/b.txt')).rejects.toThrow(/Parent resource is missing/);
  });
});

describe('copyFrom (another S3 location on the same service)', () => {
  it('copies server-side between prefixes, and declines other accessors', async () => {
    const { accessor: from } = fresh();
    const { accessor: to } = fresh();
    const data = testBytes(100_000, 'between');
    await from.write('a.bin', data);
    expect(await to.copyFrom(from, 'a.bin', 'b.bin')).toEqual({ size: data.length, checksums: {} });
    expect(sha256(await readAll(await to.createReadStream('b.bin')))).toBe(sha256(data));
    const other = new MemoryAccessor();
    expect(await to.copyFrom(other, 'a.bin', 'c.bin')).toBeUndefined();
    const elsewhere = new S3Accessor({ bucket: serverEnv().bucket, clientConfig: { region: 'us-east-1' } });
    expect(await to.copyFrom(elsewhere, 'a.bin', 'c.bin')).toBeUndefined();
    await elsewhere.close();
  });
});

describe('flexible checksums', () => {
  it('checksumAlgorithm SHA256: the server verifies and keeps the full-object checksum', async () => {
    const { accessor, prefix } = fresh({ checksumAlgorithm: 'SHA256' });
    const data = testBytes(200_000, 'flex');
    await accessor.write('f.bin', data);
    const head = await raw.send(
      new HeadObjectCommand({ Bucket: serverEnv().bucket, Key: `${prefix}/f.bin`, ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumSHA256).toBe(createHash('sha256').update(data).digest('base64'));
  });

  /** The x-amz-content-sha256 each signed request with a body carried, by command. */
  function recordPayloadHashes(accessor: S3Accessor): Array<[string, string | undefined]> {
    const seen: Array<[string, string | undefined]> = [];
    accessor.client.middlewareStack.add(
      (next, context) => async (args) => {
        const request = args.request as { headers: Record<string, string>; body?: unknown };
        if (request.body != null)
          seen.push([context.commandName ?? '', request.headers['x-amz-content-sha256']]);
        return next(args);
      },
      { step: 'deserialize', name: 'recordPayloadHashes' },
    );
    return seen;
  }

  it('bodies covered by the CRC32 header are sent UNSIGNED-PAYLOAD (no SHA-256 pass), and land intact', async () => {
    const { accessor, prefix } = fresh({ partSize: 5 * 1024 * 1024 });
    const seen = recordPayloadHashes(accessor);
    const small = testBytes(100_000, 'unsigned');
    const large = testBytes(12 * 1024 * 1024, 'unsigned-parts');
    await accessor.write('small.bin', small);
    await accessor.write('large.bin', Readable.from([large]));
    const commands = new Set(seen.map(([command]) => command));
    expect(commands).toContain('PutObjectCommand');
    expect(commands).toContain('UploadPartCommand');
    for (const [command, hash] of seen)
      if (command === 'PutObjectCommand' || command === 'UploadPartCommand')
        expect(hash, command).toBe('UNSIGNED-PAYLOAD');
    for (const [name, data] of [
      ['small.bin', small],
      ['large.bin', large],
    ] as const) {
      const object = await raw.send(
        new GetObjectCommand({ Bucket: serverEnv().bucket, Key: `${prefix}/${name}` }),
      );
      expect(
        createHash('md5')
          .update(await readAll(object.Body as Readable))
          .digest('hex'),
      ).toBe(createHash('md5').update(data).digest('hex'));
    }
  });

  it('signPayload: true signs the SHA-256 of every body', async () => {
    const { accessor } = fresh({ signPayload: true });
    const seen = recordPayloadHashes(accessor);
    const data = testBytes(100_000, 'signed');
    await accessor.write('signed.bin', data);
    expect(seen).toContainEqual(['PutObjectCommand', createHash('sha256').update(data).digest('hex')]);
  });
});

describe('removeContainer', () => {
  it('recursive removal deletes 1,005 keys in DeleteObjects batches', async () => {
    const { accessor, prefix } = fresh();
    await accessor.makeContainer('tree/sub');
    const names = Array.from({ length: 1003 }, (_, i) => `tree/${i % 2 ? 'sub/' : ''}k${i}`);
    // Planted with plain PutObject (no parent check) to keep the test quick.
    const queue = [...names];
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let name = queue.shift(); name; name = queue.shift())
          await raw.send(
            new PutObjectCommand({
              Bucket: serverEnv().bucket,
              Key: `${prefix}/${name}`,
              Body: new Uint8Array(0),
            }),
          );
      }),
    );
    await accessor.write('keep.txt', 'keep');
    await accessor.removeContainer('tree', { recursive: true });
    expect(await accessor.exists('tree')).toBe(false);
    const left = await raw.send(
      new ListObjectsV2Command({ Bucket: serverEnv().bucket, Prefix: `${prefix}/` }),
    );
    expect((left.Contents ?? []).map((object) => object.Key)).toEqual([`${prefix}/keep.txt`]);
  });

  it('removing a child container keeps its parent (markers at every level)', async () => {
    const { accessor } = fresh();
    await accessor.makeContainer('p/q/r');
    await accessor.removeContainer('p/q/r');
    expect(await accessor.isContainer('p/q')).toBe(true);
    expect(await accessor.list('p/q')).toEqual([]);
  });
});

describe('reads', () => {
  it('range reads of an empty object and past the end return nothing', async () => {
    const { accessor } = fresh();
    await accessor.write('empty.bin', '');
    await accessor.write('ten.bin', '0123456789');
    expect((await readAll(await accessor.createReadStream('empty.bin'))).length).toBe(0);
    expect((await readAll(await accessor.createReadStream('empty.bin', { start: 0 }))).length).toBe(0);
    expect((await readAll(await accessor.createReadStream('ten.bin', { start: 10 }))).length).toBe(0);
    await expect(accessor.createReadStream('missing.bin', { start: 3 })).rejects.toBeInstanceOf(
      AccessorResourceNotFoundError,
    );
  });

  it('an abort while reading destroys the stream', async () => {
    const { accessor } = fresh();
    await accessor.write('r.bin', testBytes(4 * MiB, 'r'));
    const controller = new AbortController();
    const stream = await accessor.createReadStream('r.bin', { signal: controller.signal });
    const error = await (async () => {
      for await (const _chunk of stream) controller.abort();
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
  });
});

describe('errors and configuration', () => {
  it('a wrong secret key: AccessorPermissionDeniedError without the secret in the message', async () => {
    const env = serverEnv();
    const wrongSecret = `${env.secretAccessKey}-wrong`;
    const accessor = new S3Accessor({
      bucket: env.bucket,
      prefix: 'stowage-test/denied',
      clientConfig: {
        endpoint: env.endpoint,
        region: env.region,
        credentials: { accessKeyId: env.accessKeyId, secretAccessKey: wrongSecret },
      },
    });
    try {
      const error = await accessor.write('x.txt', 'x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AccessorPermissionDeniedError);
      const text = `${(error as Error).message} ${JSON.stringify((error as AccessorPermissionDeniedError).details)}`;
      expect(text).not.toContain(env.secretAccessKey);
      expect(String(((error as Error).cause as Error)?.message)).not.toContain(wrongSecret);
    } finally {
      await accessor.close();
    }
  });

  it('s3AccessorOptionsFromEnv reads STOWAGE_S3_* before STOWAGE_TEST_S3_*', () => {
    const options = s3AccessorOptionsFromEnv({
      STOWAGE_S3_BUCKET: 'b',
      STOWAGE_TEST_S3_BUCKET: 'ignored',
      STOWAGE_S3_ENDPOINT: 'http://127.0.0.1:9000',
      STOWAGE_S3_ACCESS_KEY_ID: 'id',
      STOWAGE_S3_SECRET_ACCESS_KEY: 'secret',
      STOWAGE_S3_PREFIX: 'studio/projects',
      STOWAGE_S3_PART_SIZE: String(16 * MiB),
    });
    expect(options).toMatchObject({
      bucket: 'b',
      prefix: 'studio/projects',
      partSize: 16 * MiB,
      clientConfig: { endpoint: 'http://127.0.0.1:9000', region: 'us-east-1' },
    });
    expect(() => s3AccessorOptionsFromEnv({})).toThrow(/STOWAGE_S3_BUCKET/);
    expect(() => s3AccessorOptionsFromEnv({ STOWAGE_S3_BUCKET: 'b', STOWAGE_S3_PART_SIZE: 'lots' })).toThrow(
      /positive integer/,
    );
  });

  it('a custom endpoint gets path-style addressing; the prefix is normalised', async () => {
    const accessor = new S3Accessor({
      bucket: 'b',
      prefix: '/studio/projects/',
      clientConfig: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1' },
    });
    expect(accessor.prefix).toBe('studio/projects/');
    expect(accessor.client.config.forcePathStyle).toBe(true);
    expect(accessor.key('a/b.exr')).toBe('studio/projects/a/b.exr');
    await accessor.close();
    expect(() => new S3Accessor({ bucket: 'b', prefix: 'a/../b' })).toThrow(/Invalid S3 prefix/);
  });

  it('the objects the accessor writes are plain objects other S3 clients read', async () => {
    const { accessor, prefix } = fresh();
    await accessor.write('plain.txt', 'plain');
    const response = await raw.send(
      new GetObjectCommand({ Bucket: serverEnv().bucket, Key: `${prefix}/plain.txt` }),
    );
    expect(await response.Body?.transformToString()).toBe('plain');
  });
});

describe('parent checks on write', () => {
  it('lists a folder once for many writes into it, and forgets it when it is removed', async () => {
    const client = rawClient();
    let lists = 0;
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'ListObjectsV2Command') lists++;
        return next(args);
      },
      { step: 'initialize' },
    );
    const { accessor } = fresh({ client });
    await accessor.makeContainer('shots', true);
    for (let index = 0; index < 20; index++)
      await accessor.write(`shots/f${index}.exr`, `frame ${index}`, { overwrite: false });
    expect(lists).toBeLessThanOrEqual(1);
    expect(await accessor.list('shots')).toHaveLength(20);

    await accessor.removeContainer('shots', { recursive: true });
    await expect(accessor.write('shots/late.exr', 'x')).rejects.toMatchObject({
      name: 'AccessorParentResourceNotFoundError',
    });
    client.destroy();
  });
});
