import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  AccessorError,
  AccessorOperationFailedError,
  AccessorPermissionDeniedError,
  isTransientError,
} from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { SftpAccessor, type SftpAccessorOptions, sftpAccessorOptionsFromEnv } from '../src/index.js';
import { isolatedFolder, serverEnv } from './helpers.js';

/** Connect with `options`, list the folder, close; the error if any. */
async function tryConnect(options: Partial<SftpAccessorOptions>): Promise<unknown> {
  const env = serverEnv();
  const accessor = new SftpAccessor({
    host: env.host,
    port: env.port,
    username: env.username,
    folder: isolatedFolder().folder,
    agent: false,
    readyTimeout: 5000,
    ...options,
  });
  try {
    expect(await accessor.list('')).toEqual([]);
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await accessor.close();
  }
}

describe('sftpAccessorOptionsFromEnv', () => {
  it('reads ftrack-sftp-accessor variables so a migrating studio changes nothing', () => {
    expect(
      sftpAccessorOptionsFromEnv({
        FTRACK_SFTP_ACCESSOR_HOSTNAME: 'sftp.studio',
        FTRACK_SFTP_ACCESSOR_PORT: '2222',
        FTRACK_SFTP_ACCESSOR_USERNAME: 'ian',
        FTRACK_SFTP_ACCESSOR_PASSWORD: 'pw',
        FTRACK_SFTP_ACCESSOR_FOLDER: 'ftrack',
      }),
    ).toEqual({ host: 'sftp.studio', port: 2222, username: 'ian', password: 'pw', folder: 'ftrack' });
  });

  it('prefers STOWAGE_SFTP_* and reads the key, fingerprint and pool settings', () => {
    expect(
      sftpAccessorOptionsFromEnv({
        FTRACK_SFTP_ACCESSOR_HOSTNAME: 'old',
        STOWAGE_SFTP_HOST: 'new',
        STOWAGE_SFTP_PRIVATE_KEY_PATH: '/keys/id',
        STOWAGE_SFTP_PASSPHRASE: 'phrase',
        STOWAGE_SFTP_HOST_FINGERPRINT: 'SHA256:abc',
        STOWAGE_SFTP_POOL_SIZE: '2',
        STOWAGE_SFTP_PORT: '',
      }),
    ).toEqual({
      host: 'new',
      privateKeyPath: '/keys/id',
      passphrase: 'phrase',
      hostFingerprint: 'SHA256:abc',
      poolSize: 2,
    });
  });

  it('reads the upload thread count, where 0 (off) is a valid value', () => {
    const read = (value: string) =>
      sftpAccessorOptionsFromEnv({ STOWAGE_SFTP_HOST: 'h', STOWAGE_SFTP_UPLOAD_THREADS: value })
        .uploadThreads;
    expect(read('0')).toBe(0);
    expect(read('3')).toBe(3);
    for (const bad of ['two', '-1', '1.5'])
      expect(() => read(bad)).toThrow(/STOWAGE_SFTP_UPLOAD_THREADS must be a whole number >= 0/);
  });

  it('fails clearly without a host or with a bad port', () => {
    expect(() => sftpAccessorOptionsFromEnv({})).toThrow(AccessorError);
    expect(() => sftpAccessorOptionsFromEnv({})).toThrow(/STOWAGE_SFTP_HOST/);
    expect(() => sftpAccessorOptionsFromEnv({ STOWAGE_SFTP_HOST: 'h', STOWAGE_SFTP_PORT: '22x' })).toThrow(
      /STOWAGE_SFTP_PORT/,
    );
  });
});

describe('authentication against OpenSSH', () => {
  it('logs in with a password', async () => {
    expect(await tryConnect({ password: serverEnv().password })).toBeUndefined();
  });

  it('logs in with a private key file or key contents', async () => {
    const { privateKeyPath } = serverEnv();
    expect(await tryConnect({ privateKeyPath })).toBeUndefined();
    expect(await tryConnect({ privateKey: readFileSync(privateKeyPath, 'utf8') })).toBeUndefined();
  });

  it('fails a wrong password with a permanent permission error that does not reveal it', async () => {
    const password = 'wrong-Secret-7f3a9c';
    const error = await tryConnect({ password });
    expect(error).toBeInstanceOf(AccessorPermissionDeniedError);
    expect(isTransientError(error)).toBe(false);
    const text = `${(error as Error).message} ${JSON.stringify((error as AccessorError).details)} ${(error as Error).stack}`;
    expect(text).not.toContain(password);
  });

  it('fails a missing key file without leaking anything but its path', async () => {
    const error = await tryConnect({ privateKeyPath: '/nonexistent/key' });
    expect(error).toBeInstanceOf(AccessorOperationFailedError);
    expect((error as Error).message).toMatch(/private key file/);
  });

  it('checks the host key fingerprint when one is given', async () => {
    const { password, dataRoot } = serverEnv();
    const hostKey = join(dirname(dataRoot), 'ssh_host_ed25519_key.pub');
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', hostKey])
      .toString()
      .split(' ')[1]!;
    expect(fingerprint).toMatch(/^SHA256:/);
    expect(await tryConnect({ password, hostFingerprint: fingerprint })).toBeUndefined();
    const error = await tryConnect({
      password,
      hostFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    expect(error).toBeInstanceOf(AccessorOperationFailedError);
    expect(isTransientError(error)).toBe(false);
  });

  it('reports an unreachable server as a transient failure', async () => {
    const error = await tryConnect({ port: 1, password: 'x' });
    expect(error).toBeInstanceOf(AccessorOperationFailedError);
    expect(isTransientError(error)).toBe(true);
  });
});
