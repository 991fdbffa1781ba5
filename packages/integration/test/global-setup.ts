import { setupBackends } from '../../../tools/backends/index.mjs';

/** Start the S3, Azure and SFTP servers (or use the ones STOWAGE_TEST_* point at). */
export default function setup(): Promise<() => Promise<void>> {
  return setupBackends('s3', 'azure', 'sftp');
}
