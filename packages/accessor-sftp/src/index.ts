export { type SftpAccessorOptions, sftpAccessorOptionsFromEnv } from './options.js';
export { SftpAccessor } from './sftp-accessor.js';
export { isConnectionError, SFTP_STATUS, toAccessorError } from './sftp-errors.js';
