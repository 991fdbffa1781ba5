import type { BlobServiceClient, StoragePipelineOptions } from '@azure/storage-blob';
import { AccessorError, type Env, envValue, positiveIntegerFromEnv } from '@stowage/core';

/** Default block size: 8 MiB (measured fastest against Azurite with 4 in flight; bench/azure). */
export const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;
/** Default blocks staged in parallel per upload. */
export const DEFAULT_CONCURRENCY = 4;
/** Azure's per-block limit (service version 2019-12-12 and later). */
export const MAX_BLOCK_SIZE = 4000 * 1024 * 1024;
/** Azure's limit of committed blocks per blob. */
export const MAX_BLOCKS = 50_000;

interface CommonOptions {
  /** The Azure container (3-63 chars, lower case); created on first write unless `createContainer: false`. */
  container: string;
  /** Virtual folder inside the container the accessor works under (no leading or trailing '/'). */
  prefix?: string;
  /** Bytes per staged block (default 8 MiB; grows when `write` gets a `size` that would need > 50,000 blocks). */
  blockSize?: number;
  /** Blocks staged in parallel per upload (default 4). Peak memory ~ (concurrency + 1) x blockSize. */
  concurrency?: number;
  /**
   * Send each block's MD5 for the service to check (default true). Costs an
   * extra MD5 pass here and one on the server; the whole blob's Content-MD5 is
   * set either way.
   */
  blockMd5?: boolean;
  /** Create the Azure container when missing (default true; a 403 answer is ignored). */
  createContainer?: boolean;
  /**
   * Let `copyFrom` hand a presigned URL of another accessor (S3, another
   * account) to Azure so the service fetches the bytes itself. Where the
   * service cannot reach the URL the transfer engine streams instead. Default true.
   */
  urlCopy?: boolean;
}

export interface AzureBlobConnectionStringOptions extends CommonOptions {
  /**
   * A storage connection string (`AccountName=...;AccountKey=...` or
   * `UseDevelopmentStorage=true`). With an account key `getUrl` signs SAS URLs.
   */
  connectionString: string;
  /** Passed to the SDK (retry, proxy, keep-alive). */
  pipelineOptions?: StoragePipelineOptions;
  serviceClient?: undefined;
}

export interface AzureBlobServiceClientOptions extends CommonOptions {
  /**
   * A ready client, e.g. `new BlobServiceClient(url, new DefaultAzureCredential())`.
   * With a shared key credential `getUrl` signs service SAS URLs; with a token
   * credential it signs user delegation SAS URLs.
   */
  serviceClient: BlobServiceClient;
  connectionString?: undefined;
}

export type AzureBlobAccessorOptions = AzureBlobConnectionStringOptions | AzureBlobServiceClientOptions;

const ENV_NAMES = {
  connectionString: ['STOWAGE_AZURE_CONNECTION_STRING', 'AZURE_STORAGE_CONNECTION_STRING'],
  container: ['STOWAGE_AZURE_CONTAINER'],
  prefix: ['STOWAGE_AZURE_PREFIX'],
  blockSize: ['STOWAGE_AZURE_BLOCK_SIZE'],
  concurrency: ['STOWAGE_AZURE_CONCURRENCY'],
} as const;

/**
 * Options from environment variables: `STOWAGE_AZURE_CONNECTION_STRING` (or
 * the SDK's `AZURE_STORAGE_CONNECTION_STRING`), `STOWAGE_AZURE_CONTAINER`,
 * `STOWAGE_AZURE_PREFIX`, `STOWAGE_AZURE_BLOCK_SIZE`, `STOWAGE_AZURE_CONCURRENCY`.
 */
export function azureBlobAccessorOptionsFromEnv(env: Env = process.env): AzureBlobConnectionStringOptions {
  const connectionString = envValue(env, ENV_NAMES.connectionString);
  if (connectionString === undefined) {
    throw new AccessorError(
      'No Azure connection string configured: set STOWAGE_AZURE_CONNECTION_STRING (or AZURE_STORAGE_CONNECTION_STRING).',
      { details: { variables: ENV_NAMES.connectionString } },
    );
  }
  const container = envValue(env, ENV_NAMES.container);
  if (container === undefined) {
    throw new AccessorError('No Azure container configured: set STOWAGE_AZURE_CONTAINER.', {
      details: { variables: ENV_NAMES.container },
    });
  }
  const options: AzureBlobConnectionStringOptions = { connectionString, container };
  const prefix = envValue(env, ENV_NAMES.prefix);
  if (prefix !== undefined) options.prefix = prefix;
  const blockSize = positiveIntegerFromEnv('STOWAGE_AZURE_BLOCK_SIZE', envValue(env, ENV_NAMES.blockSize));
  if (blockSize !== undefined) options.blockSize = blockSize;
  const concurrency = positiveIntegerFromEnv(
    'STOWAGE_AZURE_CONCURRENCY',
    envValue(env, ENV_NAMES.concurrency),
  );
  if (concurrency !== undefined) options.concurrency = concurrency;
  return options;
}
