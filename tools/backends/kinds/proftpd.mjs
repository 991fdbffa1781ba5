// ProFTPD (Debian proftpd-basic) in the foreground: one virtual user from an
// AuthUserFile, passive ports on 127.0.0.1, and explicit FTPS (AUTH TLS)
// offered but not required, so one instance serves plain and TLS clients.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  aptInstall,
  BackendStartError,
  freePort,
  makeTempRoot,
  readLog,
  spawnServer,
  stopProcess,
  waitForPort,
} from '../util.mjs';
import {
  ensureFtpSystemUser,
  freePortRange,
  ftpEnv,
  isRoot,
  makeCertificate,
  makeDataDir,
  randomPassword,
} from './ftp-common.mjs';

const KIND = 'proftpd';
const USER = 'stowage';

export async function install() {
  aptInstall(['proftpd-basic', 'openssl']);
}

export async function start() {
  const root = makeTempRoot(KIND);
  // As root sessions run as the FTP account and are chrooted to the data dir;
  // as anyone else they run as that user and see absolute paths.
  const owner = isRoot() ? ensureFtpSystemUser() : { uid: process.getuid(), gid: process.getgid() };
  const dataDir = makeDataDir(root, owner);
  const [port, passive] = await Promise.all([freePort(), freePortRange()]);
  const { certFile, keyFile } = makeCertificate(root);
  const password = randomPassword();
  const hash = execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: `${password}\n` })
    .toString()
    .trim();
  const passwdFile = join(root, 'ftpd.passwd');
  const groupFile = join(root, 'ftpd.group');
  writeFileSync(passwdFile, `${USER}:${hash}:${owner.uid}:${owner.gid}::${dataDir}:/bin/false\n`, {
    mode: 0o600,
  });
  writeFileSync(groupFile, `${USER}:x:${owner.gid}:${USER}\n`, { mode: 0o600 });

  const configFile = join(root, 'proftpd.conf');
  const logFile = join(root, 'proftpd.log');
  writeFileSync(
    configFile,
    [
      'ServerType standalone',
      'ServerName "stowage proftpd"',
      'DefaultServer on',
      `Port ${port}`,
      'DefaultAddress 127.0.0.1',
      'SocketBindTight on',
      'UseIPv6 off',
      'UseReverseDNS off',
      `PidFile ${join(root, 'proftpd.pid')}`,
      `ScoreboardFile ${join(root, 'proftpd.scoreboard')}`,
      `DelayTable ${join(root, 'proftpd.delay')}`,
      // Else a second instance cannot bind /run/proftpd.sock.
      'ControlsEngine off',
      'WtmpLog off',
      'MaxInstances 200',
      'TimeoutIdle 600',
      ...(isRoot() ? [`User ${owner.name}`, `Group ${owner.name}`, 'DefaultRoot ~'] : []),
      'AuthOrder mod_auth_file.c',
      `AuthUserFile ${passwdFile}`,
      `AuthGroupFile ${groupFile}`,
      'RequireValidShell off',
      'UseFtpUsers off',
      `PassivePorts ${passive.min} ${passive.max}`,
      'UseEncoding UTF-8 UTF-8',
      'Umask 022',
      'AllowOverwrite on',
      'AllowStoreRestart on',
      'AllowRetrieveRestart on',
      'TimesGMT on',
      '<IfModule mod_dso.c>',
      '  LoadModule mod_tls.c',
      '</IfModule>',
      '<IfModule mod_tls.c>',
      '  TLSEngine on',
      '  TLSRequired off',
      '  TLSProtocol TLSv1.2 TLSv1.3',
      `  TLSRSACertificateFile ${certFile}`,
      `  TLSRSACertificateKeyFile ${keyFile}`,
      '  TLSVerifyClient off',
      '  TLSOptions NoSessionReuseRequired',
      `  TLSLog ${join(root, 'tls.log')}`,
      '</IfModule>',
      '',
    ].join('\n'),
  );

  const child = spawnServer('proftpd', ['-n', '-q', '-c', configFile], { logFile });
  try {
    await waitForPort(port, { banner: '220', child, kind: KIND, logFile });
  } catch (error) {
    await stopProcess(child);
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  if (child.exitInfo) throw new BackendStartError(KIND, 'exited after start', readLog(logFile));

  return {
    env: ftpEnv(KIND, { port, user: USER, password, root: dataDir, caFile: certFile }),
    stop: async () => {
      await stopProcess(child);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
