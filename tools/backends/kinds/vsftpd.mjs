// vsftpd unpacked from its .deb into the cache (it conflicts with proftpd in
// apt), run as root in the foreground. Logins go through PAM for a real
// nologin account; explicit FTPS is offered but not required, so one instance
// serves plain and TLS clients.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  aptInstall,
  BackendStartError,
  CACHE_DIR,
  freePort,
  makeTempRoot,
  readLog,
  spawnServer,
  stopProcess,
  waitForPort,
} from '../util.mjs';
import {
  ensureFtpSystemUser,
  FTP_SYSTEM_USER,
  freePortRange,
  ftpEnv,
  isRoot,
  makeCertificate,
  makeDataDir,
  systemUserPassword,
} from './ftp-common.mjs';

const KIND = 'vsftpd';
const PACKAGE_DIR = join(CACHE_DIR, 'vsftpd');
const BINARY = join(PACKAGE_DIR, 'usr', 'sbin', 'vsftpd');
// Our own PAM service: plain pam_unix, no /etc/ftpusers or /etc/shells checks
// (the account's shell is nologin on purpose).
const PAM_SERVICE = 'stowage-vsftpd';
const PAM_FILE = `/etc/pam.d/${PAM_SERVICE}`;
const PAM_CONFIG = [
  '# Written by stowage tools/backends (vsftpd test server).',
  // nodelay: no 2-3 s pause after a wrong password (tests try one on purpose).
  'auth required pam_unix.so nodelay',
  'account required pam_unix.so',
  'session required pam_permit.so',
  '',
].join('\n');

function download() {
  const work = mkdtempSync(join(CACHE_DIR, 'vsftpd-download-'));
  try {
    const fetch = () =>
      execFileSync('apt-get', ['download', '-q', 'vsftpd'], {
        cwd: work,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    try {
      fetch();
    } catch {
      // A fresh machine may have no package lists yet.
      execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
      fetch();
    }
    const deb = readdirSync(work).find((name) => name.endsWith('.deb'));
    if (!deb) throw new BackendStartError(KIND, 'apt-get download vsftpd produced no .deb');
    rmSync(PACKAGE_DIR, { recursive: true, force: true });
    execFileSync('dpkg-deb', ['-x', join(work, deb), PACKAGE_DIR]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function install() {
  if (!isRoot()) {
    if (existsSync(BINARY)) return;
    throw new BackendStartError(KIND, 'installing vsftpd needs root (apt-get, useradd, /etc/pam.d)');
  }
  // The .deb's run-time libraries (ldd), installed by apt as they are not unpacked with it.
  aptInstall(['openssl', 'libpam0g', 'libpam-modules', 'libwrap0', 'libcap2', 'libssl3', 'passwd']);
  mkdirSync(CACHE_DIR, { recursive: true });
  if (!existsSync(BINARY)) download();
  if (!existsSync(PAM_FILE) || readFileSync(PAM_FILE, 'utf8') !== PAM_CONFIG)
    writeFileSync(PAM_FILE, PAM_CONFIG);
  ensureFtpSystemUser();
}

export async function start() {
  if (!isRoot()) throw new BackendStartError(KIND, 'vsftpd logs users in through PAM and must run as root');
  const owner = ensureFtpSystemUser();
  const password = systemUserPassword();
  const root = makeTempRoot(KIND);
  try {
    const dataDir = makeDataDir(root, owner);
    // vsftpd needs an empty directory it can chroot its unprivileged helper into.
    const emptyDir = join(root, 'empty');
    mkdirSync(emptyDir, { mode: 0o755 });
    const [port, passive] = await Promise.all([freePort(), freePortRange()]);
    const { certFile, keyFile } = makeCertificate(root);
    const logFile = join(root, 'vsftpd.log');
    const configFile = join(root, 'vsftpd.conf');
    // vsftpd refuses a config that root does not own; ours is written by root.
    writeFileSync(
      configFile,
      [
        'listen=YES',
        'listen_ipv6=NO',
        'listen_address=127.0.0.1',
        `listen_port=${port}`,
        'background=NO',
        'anonymous_enable=NO',
        'local_enable=YES',
        'write_enable=YES',
        'local_umask=022',
        'file_open_mode=0666',
        `local_root=${dataDir}`,
        'chroot_local_user=YES',
        'allow_writeable_chroot=YES',
        `secure_chroot_dir=${emptyDir}`,
        `pam_service_name=${PAM_SERVICE}`,
        'check_shell=NO',
        'userlist_enable=NO',
        'tcp_wrappers=NO',
        'pasv_enable=YES',
        'pasv_address=127.0.0.1',
        `pasv_min_port=${passive.min}`,
        `pasv_max_port=${passive.max}`,
        'seccomp_sandbox=NO',
        // New PID/network namespaces fail inside some containers.
        'isolate=NO',
        'isolate_network=NO',
        'utf8_filesystem=YES',
        'delay_failed_login=0',
        'max_clients=0',
        'max_per_ip=0',
        'idle_session_timeout=600',
        'data_connection_timeout=300',
        'xferlog_enable=NO',
        `vsftpd_log_file=${join(root, 'vsftpd-transfers.log')}`,
        'ssl_enable=YES',
        'allow_anon_ssl=NO',
        'force_local_data_ssl=NO',
        'force_local_logins_ssl=NO',
        'ssl_sslv2=NO',
        'ssl_sslv3=NO',
        'ssl_ciphers=HIGH',
        'require_ssl_reuse=YES',
        `rsa_cert_file=${certFile}`,
        `rsa_private_key_file=${keyFile}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );

    // vsftpd reports startup errors on fd 0 (with /dev/null it just exits 2):
    // make fd 0 the log file, opened for appending.
    const stdinLog = openSync(logFile, 'a');
    const child = spawnServer(BINARY, [configFile], { logFile, stdin: stdinLog });
    closeSync(stdinLog);
    try {
      await waitForPort(port, { banner: '220', child, kind: KIND, logFile });
    } catch (error) {
      await stopProcess(child);
      throw error;
    }
    if (child.exitInfo) throw new BackendStartError(KIND, 'exited after start', readLog(logFile));

    return {
      env: ftpEnv(KIND, { port, user: FTP_SYSTEM_USER, password, root: dataDir, caFile: certFile }),
      stop: async () => {
        await stopProcess(child);
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}
