import { randomBytes } from 'node:crypto';
import {
  AzureBlobAccessor,
  type AzureBlobAccessorOptions,
  azureBlobAccessorOptionsFromEnv,
} from '../src/index.js';

/** What tools/backends/kinds/azure.mjs exported for the run (via global setup). */
export function serverEnv() {
  const read = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: the azure backend did not start`);
    return value;
  };
  return {
    connectionString: read('STOWAGE_TEST_AZURE_CONNECTION_STRING'),
    container: read('STOWAGE_TEST_AZURE_CONTAINER'),
  };
}

/** Accessor options for the test account, from the test env. */
export function testOptions() {
  const env = serverEnv();
  return azureBlobAccessorOptionsFromEnv({
    STOWAGE_AZURE_CONNECTION_STRING: env.connectionString,
    STOWAGE_AZURE_CONTAINER: env.container,
  });
}

/** The account key of the test connection string (to check it never leaks). */
export function accountKey(): string {
  return /AccountKey=([^;]+)/.exec(serverEnv().connectionString)?.[1] ?? '';
}

export function randomPrefix(): string {
  return `t-${randomBytes(6).toString('hex')}`;
}

/** An accessor under a fresh prefix, so test files do not see each other's blobs. */
export function isolatedAccessor(overrides: Partial<AzureBlobAccessorOptions> = {}) {
  const prefix = randomPrefix();
  const accessor = new AzureBlobAccessor({
    ...testOptions(),
    prefix,
    ...overrides,
  } as AzureBlobAccessorOptions);
  return { accessor, prefix };
}

/** Blob names under a prefix, straight from the service (uncommitted blocks excluded). */
export async function blobNames(accessor: AzureBlobAccessor, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of accessor.containerClient.listBlobsFlat({ prefix })) names.push(blob.name);
  return names.sort();
}
