import { setupBackends } from '../../../tools/backends/index.mjs';

/** Start OpenSSH sshd; its STOWAGE_SFTP_* vars reach the test workers. */
export default function setup(): Promise<() => Promise<void>> {
  return setupBackends('sftp');
}
