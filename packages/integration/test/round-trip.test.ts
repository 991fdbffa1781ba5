import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AzureBlobAccessor, azureBlobAccessorOptionsFromEnv } from '@stowage/accessor-azure';
import { DiskAccessor } from '@stowage/accessor-disk';
import { S3Accessor, s3AccessorOptionsFromEnv } from '@stowage/accessor-s3';
import { Session } from '@stowage/core';
import { IdStructure } from '@stowage/structure-id';
import { StandardStructure } from '@stowage/structure-standard';
import { describe, expect, it } from 'vitest';

const FRAMES = 300;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('a 300-frame sequence: disk -> S3 -> Azure -> disk', () => {
  it('keeps every byte and is 100 % available at every hop', async () => {
    const work = await mkdtemp(join(tmpdir(), 'stowage-round-trip-'));
    const plates = join(work, 'plates');
    await mkdir(plates);
    const expected = new Map<string, string>();
    for (let frame = 1001; frame < 1001 + FRAMES; frame++) {
      // Sizes vary, including an empty frame, so a shifted or truncated frame cannot pass.
      const data = frame === 1100 ? Buffer.alloc(0) : randomBytes(1024 + ((frame * 7919) % 65536));
      await writeFile(join(plates, `sh010_plate.${frame}.exr`), data);
      expected.set(String(frame), sha256(data));
    }
    const run = randomBytes(4).toString('hex');
    const session = new Session({ pluginPaths: [] });
    const s3 = session.createLocation({
      name: 'studio.s3',
      priority: 20,
      accessor: new S3Accessor({ ...s3AccessorOptionsFromEnv(), prefix: `round-trip-${run}` }),
      structure: new IdStructure(),
    });
    const azure = session.createLocation({
      name: 'studio.azure',
      priority: 30,
      accessor: new AzureBlobAccessor({
        ...azureBlobAccessorOptionsFromEnv({
          STOWAGE_AZURE_CONNECTION_STRING: process.env.STOWAGE_TEST_AZURE_CONNECTION_STRING,
          STOWAGE_AZURE_CONTAINER: process.env.STOWAGE_TEST_AZURE_CONTAINER,
        }),
        prefix: `round-trip-${run}`,
      }),
      structure: new StandardStructure(),
    });
    const backHome = join(work, 'back-home');
    await mkdir(backHome);
    const disk = session.createLocation({
      name: 'studio.disk',
      priority: 10,
      accessor: new DiskAccessor({ prefix: backHome }),
      structure: new IdStructure(),
    });

    const plate = await session.createComponent(
      join(plates, `sh010_plate.%04d.exr [1001-${1000 + FRAMES}]`),
      {
        name: 'plate',
        version: { project: 'Feature', ancestors: ['sq010', 'sh010'], asset: 'plate', number: 3 },
      },
      null,
    );
    expect(plate.members).toHaveLength(FRAMES);

    await s3.addComponent(plate, session.origin, { concurrency: 8 });
    expect(await s3.getComponentAvailability(plate)).toBe(100);
    await azure.addComponent(plate, s3, { concurrency: 8 });
    expect(await azure.getComponentAvailability(plate)).toBe(100);
    expect(await azure.getResourceIdentifier(plate)).toBe('feature/sq010/sh010/plate/v003/plate.%04d.exr');
    await disk.addComponent(plate, azure, { concurrency: 8 });
    expect(await disk.getComponentAvailability(plate)).toBe(100);

    const availability = await session.getComponentAvailability(plate);
    expect(availability).toMatchObject({ 'studio.s3': 100, 'studio.azure': 100, 'studio.disk': 100 });

    // Every frame back on disk is byte-identical to its source.
    const members = plate.members ?? [];
    const paths = await disk.getResourceIdentifiers(members);
    for (const [index, member] of members.entries()) {
      const data = await readFile(join(backHome, paths[index]!));
      expect(sha256(data), `frame ${member.name}`).toBe(expected.get(String(Number(member.name))));
    }
  }, 300_000);
});
