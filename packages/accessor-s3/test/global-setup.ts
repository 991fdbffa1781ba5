import { setupBackends } from '../../../tools/backends/index.mjs';

/**
 * Start versitygw (or use the S3 server STOWAGE_TEST_S3_* already points at:
 * MinIO, AWS); its STOWAGE_TEST_S3_* vars reach the test workers.
 */
export default function setup(): Promise<() => Promise<void>> {
  return setupBackends('s3');
}
