import { readFile } from 'node:fs/promises';
import { AzureBlobAccessor } from '@stowage/accessor-azure';
import { DiskAccessor } from '@stowage/accessor-disk';
import { FtpAccessor } from '@stowage/accessor-ftp';
import { S3Accessor } from '@stowage/accessor-s3';
import { ServerAccessor } from '@stowage/accessor-server';
import { SftpAccessor } from '@stowage/accessor-sftp';
import type { Accessor } from '@stowage/core';
import { expect, it } from 'vitest';
import { OFFLINE_ACCESSORS, renderCapabilities } from '../../../tools/capabilities.mjs';

const classes: Record<string, new (options: never) => Accessor> = {
  DiskAccessor,
  SftpAccessor,
  FtpAccessor,
  S3Accessor,
  AzureBlobAccessor,
  ServerAccessor,
};

it('docs/capabilities.md is the capability data of every accessor (regenerate: node tools/capabilities.mjs --write)', async () => {
  const columns: Array<[string, Accessor['capabilities']]> = [];
  for (const [name, , exported, options] of OFFLINE_ACCESSORS) {
    const AccessorClass = classes[exported];
    expect(AccessorClass, exported).toBeDefined();
    const accessor = new AccessorClass!(options as never);
    columns.push([name, accessor.capabilities]);
    await accessor.close();
  }
  const doc = await readFile(new URL('../../../docs/capabilities.md', import.meta.url), 'utf8');
  expect(doc).toBe(renderCapabilities(columns));
  expect(doc).toMatch(/\| `resume` \| yes \| yes \| yes \| yes \| yes \| - \|/);
});
