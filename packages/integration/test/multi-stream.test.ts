import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AzureBlobAccessor, azureBlobAccessorOptionsFromEnv } from '@stowage/accessor-azure';
import { DiskAccessor } from '@stowage/accessor-disk';
import { S3Accessor, s3AccessorOptionsFromEnv } from '@stowage/accessor-s3';
import { SftpAccessor, sftpAccessorOptionsFromEnv } from '@stowage/accessor-sftp';
import { type Accessor, type Checkpoint, MemoryCheckpointStore, transferFile } from '@stowage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MiB = 1024 * 1024;
const SIZE = 24 * MiB + 4321;
const MULTI = { threshold: 1, partSize: 4 * MiB, streams: 4 };
const hash = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest('hex');
const run = randomBytes(4).toString('hex');

const remotes: Array<[string, () => Accessor]> = [
  ['s3', () => new S3Accessor({ ...s3AccessorOptionsFromEnv(), prefix: `multi-stream-${run}` })],
  [
    'azure',
    () =>
      new AzureBlobAccessor({
        ...azureBlobAccessorOptionsFromEnv({
          STOWAGE_AZURE_CONNECTION_STRING: process.env.STOWAGE_TEST_AZURE_CONNECTION_STRING,
          STOWAGE_AZURE_CONTAINER: process.env.STOWAGE_TEST_AZURE_CONTAINER,
        }),
        prefix: `multi-stream-${run}`,
      }),
  ],
  [
    'sftp',
    () =>
      new SftpAccessor({
        ...sftpAccessorOptionsFromEnv(),
        folder: `${process.env.STOWAGE_SFTP_FOLDER}/multi-stream-${run}`,
      }),
  ],
];

describe.each(remotes)('multi-stream download: %s -> disk', (name, create) => {
  let remote: Accessor;
  let dir: string;
  let disk: DiskAccessor;
  const data = randomBytes(SIZE);
  beforeAll(async () => {
    remote = create();
    await remote.makeContainer('', true);
    await remote.write('big.bin', data);
    dir = await mkdtemp(join(tmpdir(), `stowage-multi-${name}-`));
    disk = new DiskAccessor({ prefix: dir });
  });
  afterAll(async () => {
    await remote.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads in parallel ranges, byte-identical, hashed', async () => {
    expect(remote.capabilities.parallelRangeRead).toBe(true);
    const result = await transferFile(remote, 'big.bin', disk, 'whole.bin', {
      multiStream: MULTI,
      checksums: 'always',
    });
    expect(result).toEqual({ size: SIZE, checksums: { md5: hash('md5', data) } });
    expect(hash('sha256', await readFile(join(dir, 'whole.bin')))).toBe(hash('sha256', data));
  });

  it('resumes an interrupted download from its checkpoint', async () => {
    const controller = new AbortController();
    // Interrupted once a checkpoint covers finished ranges (ranges finish in any order).
    const store = new (class extends MemoryCheckpointStore {
      override async save(key: string, checkpoint: Checkpoint): Promise<void> {
        await super.save(key, checkpoint);
        if ((checkpoint.state.offset as number) > 0) controller.abort();
      }
    })();
    const checkpoints = { store, key: `multi-${name}`, threshold: 1 };
    await expect(
      transferFile(remote, 'big.bin', disk, 'resumed.bin', {
        multiStream: MULTI,
        checkpoints,
        signal: controller.signal,
      }),
    ).rejects.toThrow();
    expect((await store.load(checkpoints.key))?.state.offset).toBeGreaterThan(0);

    const result = await transferFile(remote, 'big.bin', disk, 'resumed.bin', {
      multiStream: MULTI,
      checkpoints,
    });
    expect(result.resumedFrom).toBeGreaterThan(0);
    expect(hash('sha256', await readFile(join(dir, 'resumed.bin')))).toBe(hash('sha256', data));
    expect((await readdir(dir)).sort()).toEqual(['resumed.bin', 'whole.bin']);
  });
});
