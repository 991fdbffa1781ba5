// Debian's OpenSSH sshd in the foreground with its own config, host keys and
// port. sshd has no virtual users, so as root it serves a dedicated nologin
// system account (password and key login) whose sessions are forced into
// internal-sftp, starting in a per-start temp data dir. As anyone else it can
// only serve the running user, with key login.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import {
  aptInstall,
  BackendStartError,
  CACHE_DIR,
  freePort,
  HOST,
  makeTempRoot,
  readLog,
  spawnServer,
  stopProcess,
  waitForPort,
} from '../util.mjs';

const KIND = 'sftp';
const SYSTEM_USER = 'stowage-sftp';
const SSHD = '/usr/sbin/sshd';
/** The folder under the sftp root that tests may use. */
const FOLDER = 'stowage';

const isRoot = () => process.getuid?.() === 0;

export async function install() {
  if (existsSync(SSHD)) return;
  // openssh-server's postinst would start a system-wide sshd on port 22;
  // policy-rc.d exit 101 tells it not to, as in container images.
  const policy = '/usr/sbin/policy-rc.d';
  const addedPolicy = !existsSync(policy);
  if (addedPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    aptInstall(['openssh-server']);
  } finally {
    if (addedPolicy) unlinkSync(policy);
  }
}

function run(command, args, options = {}) {
  try {
    return execFileSync(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options }).toString();
  } catch (error) {
    throw new BackendStartError(
      KIND,
      `${command} failed: ${error.stderr?.toString().trim() || error.message}`,
    );
  }
}

function lookupUser(name) {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
    const gid = Number(execFileSync('id', ['-g', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
    return { name, uid, gid };
  } catch {
    return undefined;
  }
}

/**
 * The system account, created once. Its home stays /nonexistent: each start
 * passes its data dir to internal-sftp -d, so concurrent instances do not
 * fight over `usermod -d`.
 */
function ensureSystemUser() {
  const existing = lookupUser(SYSTEM_USER);
  if (existing) return existing;
  const shell = existsSync('/usr/sbin/nologin') ? '/usr/sbin/nologin' : '/bin/false';
  try {
    execFileSync(
      'useradd',
      [
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        shell,
        SYSTEM_USER,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    // Another launcher may have created it at the same moment.
    const raced = lookupUser(SYSTEM_USER);
    if (raced) return raced;
    throw new BackendStartError(
      KIND,
      `useradd ${SYSTEM_USER} failed: ${error.stderr?.toString() ?? error.message}`,
    );
  }
  return lookupUser(SYSTEM_USER);
}

/**
 * A random password per machine, kept 0600 in the git-ignored cache and set
 * with chpasswd on every start: a fresh one per start would lock out an
 * instance that is still running.
 */
function systemUserPassword() {
  const dir = join(CACHE_DIR, KIND);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'system-user-password');
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(18).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
  }
  const password = readFileSync(file, 'utf8').trim();
  run('chpasswd', [], { input: `${SYSTEM_USER}:${password}\n` });
  return password;
}

/** Pids of `pid`'s children (sshd's per-connection processes), from /proc. */
function childPids(pid) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the parenthesised command: state, ppid, ...
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) pids.push(Number(entry));
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

function keygen(type, file, comment) {
  run('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(type === 'rsa' ? ['-b', '3072'] : []),
    '-N',
    '',
    '-C',
    comment,
    '-f',
    file,
  ]);
}

export async function start() {
  if (!existsSync(SSHD))
    throw new BackendStartError(KIND, `${SSHD} not found (apt-get install openssh-server)`);
  const root = makeTempRoot(KIND);
  try {
    return await startIn(root);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(root) {
  const asRoot = isRoot();
  const account = asRoot
    ? ensureSystemUser()
    : { name: userInfo().username, uid: process.getuid(), gid: process.getgid() };
  const password = asRoot ? systemUserPassword() : undefined;

  // sshd reads authorized_keys as the user and internal-sftp runs as it.
  chmodSync(root, 0o755);
  const dataDir = join(root, 'data');
  mkdirSync(join(dataDir, FOLDER), { recursive: true });
  if (asRoot) {
    chownSync(dataDir, account.uid, account.gid);
    chownSync(join(dataDir, FOLDER), account.uid, account.gid);
  }

  const hostKeys = ['ed25519', 'rsa'].map((type) => {
    const file = join(root, `ssh_host_${type}_key`);
    keygen(type, file, `stowage-sftp-host-${type}`);
    return file;
  });
  const clientKey = join(root, 'client_ed25519');
  keygen('ed25519', clientKey, 'stowage-sftp-client');
  const authorizedKeys = join(root, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(`${clientKey}.pub`), { mode: 0o644 });

  // Privilege separation directory; sshd refuses to start without it.
  if (asRoot) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const port = await freePort();
  const configFile = join(root, 'sshd_config');
  const logFile = join(root, 'sshd.log');
  writeFileSync(
    configFile,
    [
      `Port ${port}`,
      `ListenAddress ${HOST}`,
      'AddressFamily inet',
      ...hostKeys.map((file) => `HostKey ${file}`),
      `PidFile ${join(root, 'sshd.pid')}`,
      'UsePAM no',
      'PasswordAuthentication yes',
      'PubkeyAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      `AuthorizedKeysFile ${authorizedKeys}`,
      // authorized_keys lives under /tmp (world-writable), which StrictModes rejects.
      'StrictModes no',
      `AllowUsers ${account.name}`,
      'UseDNS no',
      'PrintMotd no',
      'LogLevel VERBOSE',
      // Pools and parallel tests open many connections at once.
      'MaxStartups 200:30:400',
      'MaxSessions 64',
      'Subsystem sftp internal-sftp',
      `Match User ${account.name}`,
      `  ForceCommand internal-sftp -d ${dataDir}`,
      '  AllowTcpForwarding no',
      '  AllowAgentForwarding no',
      '  X11Forwarding no',
      '  PermitTTY no',
      '',
    ].join('\n'),
  );

  // sshd must be started by absolute path (it re-executes itself).
  const child = spawnServer(SSHD, ['-D', '-e', '-f', configFile], { logFile });
  try {
    await waitForPort(port, { banner: 'SSH-2.0-', child, kind: KIND, logFile });
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  if (child.exitInfo) throw new BackendStartError(KIND, 'exited after start', readLog(logFile));

  const env = {
    STOWAGE_SFTP_HOST: HOST,
    STOWAGE_SFTP_PORT: String(port),
    STOWAGE_SFTP_USERNAME: account.name,
    STOWAGE_SFTP_PRIVATE_KEY_PATH: clientKey,
    STOWAGE_SFTP_FOLDER: FOLDER,
    STOWAGE_SFTP_DATA_ROOT: dataDir,
  };
  if (password !== undefined) env.STOWAGE_SFTP_PASSWORD = password;

  return {
    env,
    stop: async () => {
      // Connection processes call setsid(), so the group kill misses them; a
      // client that never disconnects would keep them alive.
      const sessions = childPids(child.pid);
      await stopProcess(child);
      for (const pid of sessions) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
