import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { AccessorError, type Env, envValue, positiveIntegerFromEnv } from '@stowage/core';

/** Where the accessor keeps its objects and how it talks to S3. */
export interface S3AccessorOptions {
  /** Bucket name (must exist). */
  bucket: string;
  /**
   * Key prefix the accessor works under, like a folder: `projects/alpha`
   * stores `a/b.exr` as `projects/alpha/a/b.exr`. Default: the bucket root.
   */
  prefix?: string;
  /** A client to use as is (not destroyed by `close()`). */
  client?: S3Client;
  /**
   * Configuration for a client the accessor creates (and destroys in
   * `close()`). With a custom `endpoint`, `forcePathStyle` defaults to true.
   */
  clientConfig?: S3ClientConfig;
  /**
   * Bytes per multipart part (default 8 MiB, minimum 5 MiB). Grows for a
   * write whose size is known so an object never needs more than 10,000 parts.
   */
  partSize?: number;
  /** Parts uploaded in parallel per write (default 4). Memory ~ (queueSize + 1) x partSize. */
  queueSize?: number;
  /**
   * Refuse-existing writes (`overwrite: false`): 'if-none-match' sends
   * `If-None-Match: *` (atomic, AWS since 2024, MinIO, versitygw); 'head'
   * checks with HeadObject first (racy). Default 'if-none-match'.
   */
  conditionalWrites?: 'if-none-match' | 'head';
  /** Keys per ListObjectsV2 page (default 1000, the S3 maximum). */
  listPageSize?: number;
  /** Default lifetime of presigned URLs in seconds (default 3600). */
  urlExpiresIn?: number;
  /**
   * Flexible checksum the SDK computes per part / PutObject and the server
   * verifies (default: the SDK's, CRC32). 'SHA256' or 'CRC32C' where wanted;
   * the full-object value is then kept by the server (HeadObject ChecksumMode).
   */
  checksumAlgorithm?: 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256';
  /**
   * Also sign the SHA-256 of every request body (default false). By default a
   * body that carries a flexible checksum header (see `checksumAlgorithm`) is
   * sent as `UNSIGNED-PAYLOAD`, as the SDK does for streams: the signed
   * checksum header is what the server verifies, and the SHA-256 pass costs
   * CPU on every byte. On a plain-HTTP endpoint reachable by an untrusted
   * proxy, set this (or use `checksumAlgorithm: 'SHA256'`): CRC32 detects
   * corruption, not deliberate tampering. Ignored for a `client` passed in.
   * Env: STOWAGE_S3_SIGN_PAYLOAD=1.
   */
  signPayload?: boolean;
}

/** A yes/no variable: 1, true or yes (any case) mean yes. */
const isYes = (value: string) => /^(1|true|yes)$/i.test(value);

/**
 * Options from `STOWAGE_S3_*` variables (or the `STOWAGE_TEST_S3_*` ones the
 * test backends export): BUCKET (required), PREFIX, ENDPOINT, REGION,
 * ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, FORCE_PATH_STYLE,
 * PART_SIZE, QUEUE_SIZE, SIGN_PAYLOAD. Without keys the SDK's default credential chain
 * (AWS_* variables, profiles, instance roles) applies.
 */
export function s3AccessorOptionsFromEnv(env: Env = process.env): S3AccessorOptions {
  const read = (name: string) => envValue(env, [`STOWAGE_S3_${name}`, `STOWAGE_TEST_S3_${name}`]);
  const bucket = read('BUCKET');
  if (bucket === undefined) {
    throw new AccessorError('No S3 bucket configured: set STOWAGE_S3_BUCKET.', {
      details: { variables: ['STOWAGE_S3_BUCKET', 'STOWAGE_TEST_S3_BUCKET'] },
    });
  }
  const clientConfig: S3ClientConfig = {};
  const endpoint = read('ENDPOINT');
  if (endpoint !== undefined) clientConfig.endpoint = endpoint;
  const region = read('REGION') ?? envValue(env, ['AWS_REGION', 'AWS_DEFAULT_REGION']);
  clientConfig.region = region ?? 'us-east-1';
  const accessKeyId = read('ACCESS_KEY_ID');
  const secretAccessKey = read('SECRET_ACCESS_KEY');
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    const sessionToken = read('SESSION_TOKEN');
    clientConfig.credentials = {
      accessKeyId,
      secretAccessKey,
      ...(sessionToken !== undefined ? { sessionToken } : {}),
    };
  }
  const forcePathStyle = read('FORCE_PATH_STYLE');
  if (forcePathStyle !== undefined) clientConfig.forcePathStyle = isYes(forcePathStyle);
  const options: S3AccessorOptions = { bucket, clientConfig };
  const prefix = read('PREFIX');
  if (prefix !== undefined) options.prefix = prefix;
  const partSize = positiveIntegerFromEnv('STOWAGE_S3_PART_SIZE', read('PART_SIZE'));
  if (partSize !== undefined) options.partSize = partSize;
  const queueSize = positiveIntegerFromEnv('STOWAGE_S3_QUEUE_SIZE', read('QUEUE_SIZE'));
  if (queueSize !== undefined) options.queueSize = queueSize;
  const signPayload = read('SIGN_PAYLOAD');
  if (signPayload !== undefined) options.signPayload = isYes(signPayload);
  return options;
}
