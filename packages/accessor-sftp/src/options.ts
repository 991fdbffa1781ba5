import {
  AccessorError,
  type Env,
  envValue,
  nonNegativeIntegerFromEnv,
  positiveIntegerFromEnv,
} from '@stowage/core';

/**
 * How to reach the server. The first five mirror ftrack-sftp-accessor's
 * `SFTPAccessor(host, username, port=22, password=None, folder=None)`.
 */
export interface SftpAccessorOptions {
  host: string;
  /** Login name; default the local user name, as paramiko does. */
  username?: string;
  /** Default 22. */
  port?: number;
  password?: string;
  /**
   * Folder the accessor works under: relative to the login directory, or
   * absolute. Created when missing. Default: the login directory.
   */
  folder?: string;
  /** Alias of `folder`, as the other accessors name it. */
  prefix?: string;

  /** Private key contents (OpenSSH or PEM). */
  privateKey?: string | Buffer;
  /** Private key file, read at connect time. */
  privateKeyPath?: string;
  /** Passphrase of an encrypted private key. */
  passphrase?: string;
  /**
   * ssh-agent socket. Default `SSH_AUTH_SOCK` when set; `false` turns the agent off.
   * With no password, key or agent, ~/.ssh/id_ed25519, id_ecdsa and id_rsa are
   * tried, so an install "managed entirely by local ssh keys" needs no settings.
   */
  agent?: string | false;

  /**
   * Expected host key fingerprint as `ssh-keygen -lf` prints it
   * (`SHA256:...`). Without it or `hostVerifier` any host key is accepted.
   */
  hostFingerprint?: string;
  /** Custom host key check; gets the raw key. */
  hostVerifier?: (key: Buffer) => boolean;

  /** Connections kept open at most (default 4). Operations share them. */
  poolSize?: number;
  /**
   * Threads that upload local files (a transfer from a disk or origin
   * location), each with its own SftpAccessor and connections: the SSH
   * work (copies, encryption, a socket write per 32 KiB packet) then runs
   * beside the main thread instead of on it. Files under 64 KiB, and from
   * the resume threshold up (STOWAGE_RESUME_THRESHOLD, 32 MiB; lower when a
   * transfer's checkpoints say so), stay on the main thread. The threads
   * share `poolSize`. Default: one per core, at most 4; 0 turns them off
   * (also off with `hostVerifier`, a function no thread can be given).
   */
  uploadThreads?: number;
  /** Milliseconds to connect and authenticate (default 20 000). */
  readyTimeout?: number;
  /** Milliseconds between keepalive probes (default 10 000; 0 turns them off). */
  keepaliveInterval?: number;
  /** Unanswered keepalives before the connection counts as dropped (default 3). */
  keepaliveCountMax?: number;
  /** Milliseconds an unused connection stays open (default 10 000). */
  idleTimeout?: number;
  /** SFTP read/write requests in flight per transfer (default: about 4 MiB worth, 16 on OpenSSH). */
  concurrency?: number;
  /** Bytes per SFTP read/write request (default and cap: the server's limit, ~255 KiB on OpenSSH). */
  chunkSize?: number;
  /** Ask the server to fsync a file before publishing it (fsync@openssh.com). Default false. */
  fsync?: boolean;
  /** Check with the server's realpath that symbolic links stay under the root (default true). */
  confineSymlinks?: boolean;
  /**
   * Milliseconds a folder found under the root stays trusted for writes into
   * it (default 2000; 0: ask the server before every write). A burst of
   * writes into one folder then costs one realpath, not one per file.
   */
  confinementCacheMs?: number;
}

/** Accepted names per option, first wins: Stowage's, then ftrack-sftp-accessor's. */
const ENV_NAMES = {
  host: ['STOWAGE_SFTP_HOST', 'STOWAGE_SFTP_HOSTNAME', 'FTRACK_SFTP_ACCESSOR_HOSTNAME'],
  port: ['STOWAGE_SFTP_PORT', 'FTRACK_SFTP_ACCESSOR_PORT'],
  username: ['STOWAGE_SFTP_USERNAME', 'FTRACK_SFTP_ACCESSOR_USERNAME'],
  password: ['STOWAGE_SFTP_PASSWORD', 'FTRACK_SFTP_ACCESSOR_PASSWORD'],
  folder: ['STOWAGE_SFTP_FOLDER', 'FTRACK_SFTP_ACCESSOR_FOLDER'],
  privateKey: ['STOWAGE_SFTP_PRIVATE_KEY'],
  privateKeyPath: ['STOWAGE_SFTP_PRIVATE_KEY_PATH'],
  passphrase: ['STOWAGE_SFTP_PASSPHRASE'],
  hostFingerprint: ['STOWAGE_SFTP_HOST_FINGERPRINT'],
  poolSize: ['STOWAGE_SFTP_POOL_SIZE'],
  uploadThreads: ['STOWAGE_SFTP_UPLOAD_THREADS'],
} as const;

/**
 * Options from environment variables: `STOWAGE_SFTP_*`, or the
 * `FTRACK_SFTP_ACCESSOR_*` names of ftrack-sftp-accessor so a studio
 * migrating changes nothing.
 */
export function sftpAccessorOptionsFromEnv(env: Env = process.env): SftpAccessorOptions {
  const host = envValue(env, ENV_NAMES.host);
  if (host === undefined) {
    throw new AccessorError(
      'No SFTP host configured: set STOWAGE_SFTP_HOST (or FTRACK_SFTP_ACCESSOR_HOSTNAME).',
      {
        details: { variables: ENV_NAMES.host },
      },
    );
  }
  const options: SftpAccessorOptions = { host };
  const port = positiveIntegerFromEnv('STOWAGE_SFTP_PORT', envValue(env, ENV_NAMES.port));
  if (port !== undefined) options.port = port;
  const poolSize = positiveIntegerFromEnv('STOWAGE_SFTP_POOL_SIZE', envValue(env, ENV_NAMES.poolSize));
  if (poolSize !== undefined) options.poolSize = poolSize;
  const uploadThreads = nonNegativeIntegerFromEnv(
    'STOWAGE_SFTP_UPLOAD_THREADS',
    envValue(env, ENV_NAMES.uploadThreads),
  );
  if (uploadThreads !== undefined) options.uploadThreads = uploadThreads;
  for (const key of [
    'username',
    'password',
    'folder',
    'privateKey',
    'privateKeyPath',
    'passphrase',
    'hostFingerprint',
  ] as const) {
    const value = envValue(env, ENV_NAMES[key]);
    if (value !== undefined) options[key] = value;
  }
  return options;
}
