import { AccessorError } from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { AzureBlobAccessor, azureBlobAccessorOptionsFromEnv } from '../src/index.js';

const CS = 'UseDevelopmentStorage=true';

describe('azureBlobAccessorOptionsFromEnv', () => {
  it('reads the STOWAGE_AZURE_* variables', () => {
    expect(
      azureBlobAccessorOptionsFromEnv({
        STOWAGE_AZURE_CONNECTION_STRING: CS,
        STOWAGE_AZURE_CONTAINER: 'media',
        STOWAGE_AZURE_PREFIX: 'projects/a',
        STOWAGE_AZURE_BLOCK_SIZE: '4194304',
        STOWAGE_AZURE_CONCURRENCY: '8',
      }),
    ).toEqual({
      connectionString: CS,
      container: 'media',
      prefix: 'projects/a',
      blockSize: 4194304,
      concurrency: 8,
    });
  });

  it("falls back to the SDK's AZURE_STORAGE_CONNECTION_STRING", () => {
    expect(
      azureBlobAccessorOptionsFromEnv({ AZURE_STORAGE_CONNECTION_STRING: CS, STOWAGE_AZURE_CONTAINER: 'c' }),
    ).toEqual({ connectionString: CS, container: 'c' });
  });

  it('names what is missing or malformed', () => {
    expect(() => azureBlobAccessorOptionsFromEnv({})).toThrow(/STOWAGE_AZURE_CONNECTION_STRING/);
    expect(() => azureBlobAccessorOptionsFromEnv({ STOWAGE_AZURE_CONNECTION_STRING: CS })).toThrow(
      /STOWAGE_AZURE_CONTAINER/,
    );
    expect(() =>
      azureBlobAccessorOptionsFromEnv({
        STOWAGE_AZURE_CONNECTION_STRING: CS,
        STOWAGE_AZURE_CONTAINER: 'c',
        STOWAGE_AZURE_BLOCK_SIZE: 'big',
      }),
    ).toThrow(AccessorError);
  });
});

describe('AzureBlobAccessor construction', () => {
  it('needs a container and a way to connect', () => {
    expect(() => new AzureBlobAccessor({ container: '', connectionString: CS })).toThrow(/container/);
    expect(() => new AzureBlobAccessor({ container: 'c' } as never)).toThrow(
      /connectionString or a serviceClient/,
    );
  });

  it('declares marker containers, presigned URLs with a shared key, md5 checksums', () => {
    const accessor = new AzureBlobAccessor({ container: 'c', connectionString: CS, prefix: 'a/b/' });
    expect(accessor.rootPrefix).toBe('a/b/');
    expect(accessor.capabilities).toMatchObject({
      containers: 'marker',
      emptyContainers: true,
      atomicWrite: true,
      conditionalCreate: true,
      serverSideCopy: true,
      url: 'presigned',
      presignRead: true,
      checksums: ['md5'],
      pathConfinement: true,
      symlinks: false,
    });
  });

  it('rejects a prefix that escapes', () => {
    expect(() => new AzureBlobAccessor({ container: 'c', connectionString: CS, prefix: '../x' })).toThrow();
  });
});
