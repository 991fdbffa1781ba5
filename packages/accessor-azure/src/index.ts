export { AzureBlobAccessor, type CopyFromUrlOptions } from './azure-blob-accessor.js';
export { isTransient, redact, restError, toAccessorError } from './azure-errors.js';
export {
  type AzureBlobAccessorOptions,
  type AzureBlobConnectionStringOptions,
  type AzureBlobServiceClientOptions,
  azureBlobAccessorOptionsFromEnv,
  DEFAULT_BLOCK_SIZE,
  DEFAULT_CONCURRENCY,
} from './options.js';
