// The reference tools a network scenario times against Stowage: rclone for
// every backend, and OpenSSH's own `sftp` client for SFTP. Each reference
// builds the command that copies one case (a file or a folder, `item.name`)
// from the local data folder to <remoteDir>/<name> on the server, and back
// into a local folder. Commands run with the reference's `env`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eachLimited } from '../lib.mjs';

/** Install a Debian package when its command is missing (root only, as the test servers). */
function ensureCommand(command, versionArgs, aptPackage) {
  if (spawnSync(command, versionArgs, { stdio: 'ignore' }).status === 0) return;
  console.log(`installing ${aptPackage} (apt-get install -y ${aptPackage})...`);
  execFileSync('apt-get', ['install', '-y', aptPackage], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** rclone, configured only through RCLONE_CONFIG_* variables (bench/net/backends.mjs). */
export async function rcloneReference(backend, serverEnv, root) {
  ensureCommand('rclone', ['version'], 'rclone');
  const rclone = await backend.rclone(serverEnv);
  // No config file: the remote lives in RCLONE_CONFIG_* variables.
  const env = { ...process.env, ...rclone.env, RCLONE_CONFIG: join(root, 'rclone.conf') };
  // rclone 1.60's AWS SDK refuses AWS_CA_BUNDLE with its own transport; loopback is plain HTTP anyway.
  delete env.AWS_CA_BUNDLE;
  // --retries 1: a failed copy must fail the benchmark, not be redone inside the timing.
  const flags = (item) => [
    '--retries',
    '1',
    '--transfers',
    String(Math.max(item.concurrency, 1)),
    ...(rclone.flags ?? []),
  ];
  return {
    name: 'rclone',
    env,
    // copyto names the target file; copy fills the target folder.
    upload: (item, localPath, remoteDir) => [
      'rclone',
      [item.copy, localPath, `${rclone.remote}/${remoteDir}/${item.name}`, ...flags(item)],
    ],
    download: (item, remoteDir, localDir) => [
      'rclone',
      [item.copy, `${rclone.remote}/${remoteDir}/${item.name}`, join(localDir, item.name), ...flags(item)],
    ],
  };
}

/** OpenSSH client arguments for the loopback sshd of tools/backends (key login, quiet). */
export function opensshClientArgs(serverEnv) {
  return [
    '-q',
    '-P',
    serverEnv.STOWAGE_SFTP_PORT,
    '-i',
    serverEnv.STOWAGE_SFTP_PRIVATE_KEY_PATH,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    // A fresh loopback server key on every start: nothing to pin.
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    `${serverEnv.STOWAGE_SFTP_USERNAME}@${serverEnv.STOWAGE_SFTP_HOST}`,
  ];
}

/**
 * OpenSSH's `sftp` in batch mode (`sftp -b`) with its defaults: one file at a
 * time, 64 requests of 32 KiB in flight; `put -r` / `get -r` for folders.
 * A failed command fails the batch (no `-` prefix), so the run fails too.
 */
export function opensshReference(serverEnv, root) {
  ensureCommand('ssh', ['-V'], 'openssh-client');
  let batches = 0;
  const quoted = (path) => `"${path.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  const remote = (path) => quoted(`${serverEnv.STOWAGE_SFTP_FOLDER}/${path}`);
  const sftp = (lines) => {
    const batch = join(root, `sftp-batch-${batches++}`);
    writeFileSync(batch, `${lines.join('\n')}\n`);
    return ['sftp', ['-b', batch, ...opensshClientArgs(serverEnv)]];
  };
  const recursive = (item) => (item.files === 1 ? '' : '-r ');
  return {
    name: 'OpenSSH sftp',
    env: process.env,
    upload(item, localPath, remoteDir) {
      // sftp's mkdir makes one level; "-" lets a folder that exists pass.
      const levels = remoteDir.split('/').map((_, index, parts) => parts.slice(0, index + 1).join('/'));
      return sftp([
        ...levels.map((level) => `-mkdir ${remote(level)}`),
        `put ${recursive(item)}${quoted(localPath)} ${remote(`${remoteDir}/${item.name}`)}`,
      ]);
    },
    download(item, remoteDir, localDir) {
      mkdirSync(localDir, { recursive: true });
      return sftp([
        `get ${recursive(item)}${remote(`${remoteDir}/${item.name}`)} ${quoted(join(localDir, item.name))}`,
      ]);
    },
  };
}

/**
 * curl against the Stowage file server: `curl -T` on signed upload URLs,
 * plain GETs on signed download URLs, `--parallel` with as many transfers
 * in flight as Stowage. The URLs are signed through the API before the timing
 * starts, one request per file, so curl's time holds only the transfers
 * (Stowage signs inside its own).
 */
export function curlReference(serverEnv, root) {
  ensureCommand('curl', ['--version'], 'curl');
  const base = serverEnv.STOWAGE_SERVER_URL;
  const api = async (path, body) => {
    const response = await fetch(`${base}/api/${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-stowage-api-user': serverEnv.STOWAGE_SERVER_USER,
        'x-stowage-api-key': serverEnv.STOWAGE_SERVER_API_KEY,
      },
      body: JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`file server /api/${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  // Sixteen API requests at a time: untimed, only quicker to prepare.
  const signEach = async (names, sign) => {
    const urls = new Array(names.length);
    await eachLimited(
      names.map((_, index) => index),
      16,
      async (index) => {
        urls[index] = (await sign(names[index])).url;
      },
    );
    return urls;
  };
  const quoted = (value) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  let configs = 0;
  const curl = (item, lines) => {
    const config = join(root, `curl-config-${configs++}`);
    writeFileSync(config, `${lines.join('\n')}\n`);
    return [
      'curl',
      [
        '--parallel',
        '--parallel-max',
        String(Math.max(item.concurrency, 1)),
        '--fail',
        '--silent',
        '--show-error',
        '--config',
        config,
      ],
    ];
  };
  return {
    name: 'curl',
    env: process.env,
    // `files`: the case's files relative to the local data folder (they start with item.name).
    async upload(item, localPath, remoteDir, files) {
      const urls = await signEach(files, (file) =>
        api('upload-metadata', { componentId: `${remoteDir}/${file}` }),
      );
      const folder = localPath.slice(0, localPath.length - item.name.length);
      return curl(
        item,
        files.flatMap((file, index) => [
          `upload-file = ${quoted(join(folder, file))}`,
          `url = ${quoted(urls[index])}`,
          'output = "/dev/null"',
        ]),
      );
    },
    async download(item, remoteDir, localDir, files) {
      const urls = await signEach(files, (file) =>
        api('sign', { action: 'get', componentId: `${remoteDir}/${file}` }),
      );
      return curl(item, [
        'create-dirs',
        ...files.flatMap((file, index) => [
          `url = ${quoted(urls[index])}`,
          `output = ${quoted(join(localDir, file))}`,
        ]),
      ]);
    },
  };
}
