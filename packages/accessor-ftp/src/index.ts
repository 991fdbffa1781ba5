export { FTP_CAPABILITIES } from './capabilities.js';
export { mapFtpError } from './errors.js';
export { FtpAccessor, type FtpAccessorOptions } from './ftp-accessor.js';
