import { randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { S3Accessor, type S3AccessorOptions, s3AccessorOptionsFromEnv } from '../src/index.js';

/** What tools/backends/kinds/s3.mjs exported for the run (via global setup). */
export function serverEnv() {
  const read = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: the s3 backend did not start`);
    return value;
  };
  return {
    endpoint: read('STOWAGE_TEST_S3_ENDPOINT'),
    region: process.env.STOWAGE_TEST_S3_REGION || 'us-east-1',
    bucket: read('STOWAGE_TEST_S3_BUCKET'),
    accessKeyId: read('STOWAGE_TEST_S3_ACCESS_KEY_ID'),
    secretAccessKey: read('STOWAGE_TEST_S3_SECRET_ACCESS_KEY'),
  };
}

/** A fresh key prefix, so test files do not see each other's objects. */
export function isolatedPrefix(): string {
  return `stowage-test/t-${randomBytes(6).toString('hex')}`;
}

/** An accessor on the test server in its own prefix. */
export function isolatedAccessor(overrides: Partial<S3AccessorOptions> & Record<string, unknown> = {}) {
  const prefix = isolatedPrefix();
  const accessor = new S3Accessor({ ...s3AccessorOptionsFromEnv(), prefix, ...overrides });
  return { accessor, prefix };
}

/** A plain SDK client on the test server, to look behind the accessor's back. */
export function rawClient(): S3Client {
  const env = serverEnv();
  return new S3Client({
    endpoint: env.endpoint,
    region: env.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
  });
}

/** Multipart uploads still open under a key prefix. */
export async function openUploads(client: S3Client, prefix: string): Promise<string[]> {
  const result = await client.send(
    new ListMultipartUploadsCommand({ Bucket: serverEnv().bucket, Prefix: prefix }),
  );
  return (result.Uploads ?? []).map((upload) => `${upload.Key}#${upload.UploadId}`);
}
