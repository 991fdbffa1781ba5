import type { FileEntryWithStats, InputAttributes, SFTPWrapper, Stats } from 'ssh2';
import { SFTP_STATUS, sftpStatus } from './sftp-errors.js';

/**
 * Promise forms of the ssh2 SFTP calls the accessor uses. Extension calls
 * resolve `false` when the server lacks the extension (ssh2 throws
 * synchronously then), so callers can fall back.
 */

type Callback<T> = (error: Error | undefined | null, value?: T) => void;

/**
 * ssh2 silently drops requests made after the channel closed and never calls
 * them back, so every call checks first. A dead socket marks the channel's
 * `incoming` side closed but can leave `outgoing` "open", so both are checked
 * (the fields ssh2's own fastXfer and channel code look at).
 */
export function channelOpen(sftp: SFTPWrapper): boolean {
  const channel = sftp as unknown as { outgoing?: { state?: string }; incoming?: { state?: string } };
  return channel.outgoing?.state === 'open' && channel.incoming?.state !== 'closed';
}

function notConnected(): Error {
  return Object.assign(new Error('Not connected: the SFTP channel is closed'), { level: 'client-socket' });
}

function call<T>(sftp: SFTPWrapper, run: (callback: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (!channelOpen(sftp)) return reject(notConnected());
    run((error, value) => (error ? reject(error) : resolve(value as T)));
  });
}

/** ssh2 throws this synchronously, before sending anything, for an extension the server lacks. */
function isMissingExtension(error: unknown): boolean {
  return error instanceof Error && /does not support this extended request/.test(error.message);
}

function extension(sftp: SFTPWrapper, run: (callback: Callback<void>) => void): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    if (!channelOpen(sftp)) return reject(notConnected());
    try {
      run((error) => (error ? reject(error) : resolve(true)));
    } catch (error) {
      if (isMissingExtension(error)) resolve(false);
      else reject(error);
    }
  });
}

export const sftpCalls = {
  stat: (sftp: SFTPWrapper, path: string) => call<Stats>(sftp, (cb) => sftp.stat(path, cb)),
  lstat: (sftp: SFTPWrapper, path: string) => call<Stats>(sftp, (cb) => sftp.lstat(path, cb)),
  fstat: (sftp: SFTPWrapper, handle: Buffer) => call<Stats>(sftp, (cb) => sftp.fstat(handle, cb)),
  realpath: (sftp: SFTPWrapper, path: string) => call<string>(sftp, (cb) => sftp.realpath(path, cb)),
  readdir: (sftp: SFTPWrapper, path: string) =>
    call<FileEntryWithStats[]>(sftp, (cb) => sftp.readdir(path, cb)),
  mkdir: (sftp: SFTPWrapper, path: string) => call<void>(sftp, (cb) => sftp.mkdir(path, cb)),
  rmdir: (sftp: SFTPWrapper, path: string) => call<void>(sftp, (cb) => sftp.rmdir(path, cb)),
  unlink: (sftp: SFTPWrapper, path: string) => call<void>(sftp, (cb) => sftp.unlink(path, cb)),
  rename: (sftp: SFTPWrapper, from: string, to: string) =>
    call<void>(sftp, (cb) => sftp.rename(from, to, cb)),
  open: (sftp: SFTPWrapper, path: string, flags: string, attributes: InputAttributes = {}) =>
    call<Buffer>(sftp, (cb) => sftp.open(path, flags as 'r', attributes, cb)),
  fsetstat: (sftp: SFTPWrapper, handle: Buffer, attributes: InputAttributes) =>
    call<void>(sftp, (cb) => sftp.fsetstat(handle, attributes, cb)),
  close: (sftp: SFTPWrapper, handle: Buffer) => call<void>(sftp, (cb) => sftp.close(handle, cb)),
  /** One READ request into `buffer` at `offset`: the byte count, 0 at EOF. */
  read: (
    sftp: SFTPWrapper,
    handle: Buffer,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ) =>
    call<number>(sftp, (cb) =>
      sftp.read(handle, buffer, offset, length, position, (error, bytes) => cb(error, bytes)),
    ),

  /** posix-rename@openssh.com: rename that replaces the target atomically. */
  posixRename: (sftp: SFTPWrapper, from: string, to: string) =>
    extension(sftp, (cb) => sftp.ext_openssh_rename(from, to, cb)),
  /** hardlink@openssh.com: link(2), which fails when the target exists. */
  hardlink: (sftp: SFTPWrapper, from: string, to: string) =>
    extension(sftp, (cb) => sftp.ext_openssh_hardlink(from, to, cb)),
  /**
   * hardlink@openssh.com, then the unlink of `from` without waiting for the
   * link's reply: a server processes the requests about one file in the
   * order it got them (SFTP v3 draft, section 6), so the unlink comes after
   * the link, whatever its outcome. One round trip instead of two.
   * Undefined, with nothing sent, when the server lacks the extension.
   */
  hardlinkThenUnlink: (
    sftp: SFTPWrapper,
    from: string,
    to: string,
  ): { linked: Promise<void>; unlinked: Promise<void> } | undefined => {
    if (!channelOpen(sftp)) throw notConnected();
    // ssh2 throws synchronously when nothing was sent: the unlink must not follow then.
    let thrown: unknown;
    const linked = new Promise<void>((resolve, reject) => {
      try {
        sftp.ext_openssh_hardlink(from, to, (error) => (error ? reject(error) : resolve()));
      } catch (error) {
        thrown = error;
      }
    });
    if (thrown !== undefined) {
      if (isMissingExtension(thrown)) return undefined;
      throw thrown;
    }
    return { linked, unlinked: call<void>(sftp, (cb) => sftp.unlink(from, cb)) };
  },
  fsync: (sftp: SFTPWrapper, handle: Buffer) => extension(sftp, (cb) => sftp.ext_openssh_fsync(handle, cb)),
  /** copy-data: server-side copy between two open handles; length 0 copies to EOF. */
  copyData: (sftp: SFTPWrapper, from: Buffer, to: Buffer) =>
    extension(sftp, (cb) => sftp.ext_copy_data(from, 0, 0, to, 0, cb)),
};

/** lstat, or undefined when nothing is there. */
export async function lstatIfExists(sftp: SFTPWrapper, path: string): Promise<Stats | undefined> {
  try {
    return await sftpCalls.lstat(sftp, path);
  } catch (error) {
    if (sftpStatus(error) === SFTP_STATUS.NO_SUCH_FILE) return undefined;
    throw error;
  }
}

/** stat (following links), or undefined when nothing is there. */
export async function statIfExists(sftp: SFTPWrapper, path: string): Promise<Stats | undefined> {
  try {
    return await sftpCalls.stat(sftp, path);
  } catch (error) {
    if (sftpStatus(error) === SFTP_STATUS.NO_SUCH_FILE) return undefined;
    throw error;
  }
}
