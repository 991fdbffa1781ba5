import { setupBackends } from '../../../tools/backends/index.mjs';

/** Start proftpd and vsftpd; their STOWAGE_PROFTPD_* / STOWAGE_VSFTPD_* vars reach the workers. */
export default function setup(): Promise<() => Promise<void>> {
  return setupBackends('proftpd', 'vsftpd');
}
