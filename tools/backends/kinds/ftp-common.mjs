// Shared pieces of the FTP launchers (proftpd, vsftpd): a system account that
// owns the uploaded files, a free passive port range, a self-signed
// certificate per start, and the env vars the FTP tests read.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BackendStartError, HOST } from '../util.mjs';

/** The account FTP sessions run as (vsftpd logs in through PAM, proftpd maps its virtual user onto it). */
export const FTP_SYSTEM_USER = 'stowage-ftp';

export const isRoot = () => process.getuid?.() === 0;

function lookupUser(name) {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
    const gid = Number(execFileSync('id', ['-g', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
    return { name, uid, gid };
  } catch {
    return undefined;
  }
}

// vsftpd changes into the home directory before its local_root: it must exist.
const HOME = '/var/lib/stowage-ftp';

/** Create the nologin system account once (root only); returns its ids. */
export function ensureFtpSystemUser() {
  mkdirSync(HOME, { recursive: true, mode: 0o755 });
  const existing = lookupUser(FTP_SYSTEM_USER);
  if (existing) return existing;
  const shell = existsSync('/usr/sbin/nologin') ? '/usr/sbin/nologin' : '/bin/false';
  try {
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--home-dir', HOME, '--shell', shell, FTP_SYSTEM_USER],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
  } catch (error) {
    // Another launcher may have created it at the same moment.
    const raced = lookupUser(FTP_SYSTEM_USER);
    if (raced) return raced;
    throw new BackendStartError(
      'ftp',
      `useradd ${FTP_SYSTEM_USER} failed: ${error.stderr?.toString() ?? error.message}`,
    );
  }
  return lookupUser(FTP_SYSTEM_USER);
}

/**
 * The system account's password: random per machine, kept (0600) in a
 * machine-wide folder, as the account is machine-wide: servers started from
 * two checkouts at once must agree on it, else one's chpasswd locks the other
 * out mid-run. Set with chpasswd.
 */
const MACHINE_STATE_DIR = '/var/lib/stowage-test-backends';

export function systemUserPassword() {
  const file = join(MACHINE_STATE_DIR, 'ftp-system-user-password');
  mkdirSync(MACHINE_STATE_DIR, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomPassword(), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
  }
  const password = readFileSync(file, 'utf8').trim();
  execFileSync('chpasswd', [], {
    input: `${FTP_SYSTEM_USER}:${password}\n`,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  return password;
}

export function randomPassword() {
  return randomBytes(18).toString('base64url');
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive free ports for passive data connections, below the
 * kernel's ephemeral range (32768+) so outgoing connections do not take them.
 * Many: each port stays in TIME_WAIT for a minute after a transfer, and with
 * 64 a run of small files ran out of them (425 EPSV: Address already in use).
 */
export async function freePortRange(count = 512) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = randomInt(20_000, 32_000 - count);
    let free = true;
    for (let port = first; port < first + count && free; port++) free = await portIsFree(port);
    if (free) return { min: first, max: first + count - 1 };
  }
  throw new BackendStartError('ftp', `no ${count} consecutive free ports found for passive mode`);
}

/** A self-signed certificate for explicit FTPS; returns the file paths. */
export function makeCertificate(dir) {
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '7',
      '-subj',
      `/CN=${HOST}`,
      '-addext',
      `subjectAltName=IP:${HOST}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  chmodSync(keyFile, 0o600);
  return { certFile, keyFile };
}

/** `<root>/data`, owned by the FTP account; the temp root made traversable for it. */
export function makeDataDir(root, owner) {
  chmodSync(root, 0o755);
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { recursive: true });
  if (owner && isRoot()) chownSync(dataDir, owner.uid, owner.gid);
  return dataDir;
}

/**
 * Generic STOWAGE_FTP_* vars plus the kind-prefixed copies (both kinds can run
 * at once). CA_FILE is the self-signed certificate, for clients that verify it.
 */
export function ftpEnv(kind, { port, user, password, root, caFile }) {
  const values = { HOST, PORT: String(port), USER: user, PASSWORD: password, ROOT: root, CA_FILE: caFile };
  const env = {};
  for (const [key, value] of Object.entries(values)) {
    env[`STOWAGE_FTP_${key}`] = value;
    env[`STOWAGE_${kind.toUpperCase()}_${key}`] = value;
  }
  return env;
}
