import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SftpAccessor, type SftpAccessorOptions, sftpAccessorOptionsFromEnv } from '../src/index.js';

/** What tools/backends/kinds/sftp.mjs exported for the run (via global setup). */
export function serverEnv() {
  const read = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: the sftp backend did not start`);
    return value;
  };
  return {
    host: read('STOWAGE_SFTP_HOST'),
    port: Number(read('STOWAGE_SFTP_PORT')),
    username: read('STOWAGE_SFTP_USERNAME'),
    password: read('STOWAGE_SFTP_PASSWORD'),
    privateKeyPath: read('STOWAGE_SFTP_PRIVATE_KEY_PATH'),
    folder: read('STOWAGE_SFTP_FOLDER'),
    dataRoot: read('STOWAGE_SFTP_DATA_ROOT'),
  };
}

/** A fresh folder under the test folder, so test files do not see each other's data. */
export function isolatedFolder(): { folder: string; localPath: string } {
  const env = serverEnv();
  const folder = `${env.folder}/t-${randomBytes(6).toString('hex')}`;
  return { folder, localPath: join(env.dataRoot, folder) };
}

/** An accessor on the test server (password login) in its own folder. */
export function isolatedAccessor(overrides: Partial<SftpAccessorOptions> = {}) {
  const { folder, localPath } = isolatedFolder();
  const accessor = new SftpAccessor({ ...sftpAccessorOptionsFromEnv(), folder, ...overrides });
  return { accessor, folder, localPath };
}

/** Names in a local directory, for checking what the server left behind. */
export function localNames(path: string): string[] {
  return readdirSync(path).sort();
}
