// Debian's nginx in the foreground as a front for @stowage/file-server: it
// proxies every request to the file server (PUT bodies streamed, not spooled)
// and serves `X-Accel-Redirect: /protected/...` answers straight from the
// storage folder, as the self-hosted ftrack server location example does.
//
//   start({ upstreamPort, protectedRoot?, corsOrigin? })
//     upstreamPort   the file server's port on 127.0.0.1 (required)
//     protectedRoot  the DiskAccessor root the file server stores into; enables
//                    the internal /protected/ location (accel mode)
//     corsOrigin     Access-Control-Allow-Origin for bytes nginx serves itself
//                    (X-Accel-Redirect drops the upstream's CORS headers)
import { existsSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  aptInstall,
  BackendStartError,
  freePort,
  HOST,
  makeTempRoot,
  readLog,
  spawnServer,
  stopProcess,
  waitForPort,
} from '../util.mjs';

const KIND = 'nginx';
const NGINX = '/usr/sbin/nginx';

export async function install() {
  if (existsSync(NGINX)) return;
  // The package's postinst would start a system-wide nginx on port 80;
  // policy-rc.d exit 101 tells it not to, as in container images.
  const policy = '/usr/sbin/policy-rc.d';
  const addedPolicy = !existsSync(policy);
  if (addedPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    aptInstall(['nginx']);
  } finally {
    if (addedPolicy) unlinkSync(policy);
  }
}

/** nginx.conf for one instance; every path it writes is inside `dir`. */
export function nginxConfig({ dir, port, upstreamPort, protectedRoot, corsOrigin = '*' }) {
  const quote = (value) => `"${String(value).replace(/["\\]/g, '\\$&')}"`;
  // As root, workers would drop to `nobody`, which cannot read mkdtemp's 0700
  // folders; a test front keeps the launching user.
  const isRoot = process.getuid?.() === 0;
  return [
    ...(isRoot ? ['user root root;'] : []),
    'worker_processes 2;',
    `pid ${quote(join(dir, 'nginx.pid'))};`,
    'events { worker_connections 1024; }',
    'http {',
    '  default_type application/octet-stream;',
    `  access_log ${quote(join(dir, 'access.log'))};`,
    `  client_body_temp_path ${quote(join(dir, 'client_body'))};`,
    `  proxy_temp_path ${quote(join(dir, 'proxy'))};`,
    `  fastcgi_temp_path ${quote(join(dir, 'fastcgi'))};`,
    `  uwsgi_temp_path ${quote(join(dir, 'uwsgi'))};`,
    `  scgi_temp_path ${quote(join(dir, 'scgi'))};`,
    '  sendfile on;',
    '  tcp_nopush on;',
    '  server_tokens on;',
    `  upstream stowage_file_server { server ${HOST}:${upstreamPort}; keepalive 16; }`,
    '  server {',
    `    listen ${HOST}:${port};`,
    '    server_name _;',
    // The file server enforces its own body limit; nginx must not cut first.
    '    client_max_body_size 0;',
    ...(protectedRoot
      ? [
          '    location /protected/ {',
          '      internal;',
          `      alias ${quote(`${protectedRoot.replace(/\/+$/, '')}/`)};`,
          `      add_header Access-Control-Allow-Origin ${quote(corsOrigin)} always;`,
          '      add_header Access-Control-Expose-Headers "content-length, content-range, accept-ranges, etag" always;',
          '    }',
        ]
      : []),
    '    location / {',
    '      proxy_pass http://stowage_file_server;',
    '      proxy_http_version 1.1;',
    '      proxy_set_header Connection "";',
    '      proxy_set_header Host $http_host;',
    '      proxy_set_header X-Real-IP $remote_addr;',
    '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '      proxy_set_header X-Forwarded-Proto $scheme;',
    // Stream PUT bodies to the file server as they arrive (no temp file).
    '      proxy_request_buffering off;',
    // Stream proxied downloads too, without spooling them to disk.
    '      proxy_buffering off;',
    '      proxy_max_temp_file_size 0;',
    '      proxy_read_timeout 1h;',
    '      proxy_send_timeout 1h;',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

export async function start(options = {}) {
  const { upstreamPort, protectedRoot, corsOrigin } = options;
  if (!Number.isInteger(upstreamPort))
    throw new BackendStartError(KIND, 'start({ upstreamPort }) needs the file server port');
  if (!existsSync(NGINX)) throw new BackendStartError(KIND, `${NGINX} not found (apt-get install nginx)`);
  const dir = makeTempRoot(KIND);
  const port = await freePort();
  const configFile = join(dir, 'nginx.conf');
  const logFile = join(dir, 'error.log');
  writeFileSync(configFile, nginxConfig({ dir, port, upstreamPort, protectedRoot, corsOrigin }));
  const child = spawnServer(
    NGINX,
    ['-p', dir, '-c', configFile, '-e', logFile, '-g', 'daemon off; master_process on;'],
    { logFile: join(dir, 'stdout.log') },
  );
  try {
    await waitForPort(port, { child, kind: KIND, logFile });
  } catch (error) {
    await stopProcess(child);
    const log = readLog(logFile);
    rmSync(dir, { recursive: true, force: true });
    if (error instanceof BackendStartError && log) throw new BackendStartError(KIND, error.message, log);
    throw error;
  }
  return {
    env: { STOWAGE_NGINX_URL: `http://${HOST}:${port}`, STOWAGE_NGINX_PORT: String(port) },
    stop: async () => {
      // SIGTERM to the group: nginx's fast shutdown; the workers are in the group.
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
