// The Stowage file server for the `server` scenario, in its own process (so
// client and server do not share an event loop), disk-backed in a temp root,
// on a free loopback port. Returns the env the ServerAccessor and curl read,
// and the server's url, port and root. `extraEnv`: more STOWAGE_FILE_SERVER_* settings.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../packages/file-server/bin/stowage-file-server.mjs', import.meta.url).pathname;

export async function startFileServer(extraEnv = {}) {
  const root = mkdtempSync(join(tmpdir(), 'stowage-bench-file-server-'));
  const user = 'bench';
  const apiKey = randomBytes(24).toString('hex');
  const child = spawn(process.execPath, [BIN], {
    env: {
      ...process.env,
      STOWAGE_FILE_SERVER_SECRET: randomBytes(32).toString('hex'),
      STOWAGE_FILE_SERVER_API_KEYS: `${user}:${apiKey}`,
      STOWAGE_FILE_SERVER_ROOT: root,
      STOWAGE_FILE_SERVER_PORT: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (data) => {
      const match = /listening on (\S+)/.exec(String(data));
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) =>
      reject(new Error(`stowage-file-server exited with ${code} before listening`)),
    );
  });
  return {
    url,
    port: Number(new URL(url).port),
    root,
    env: {
      STOWAGE_SERVER_URL: url,
      STOWAGE_SERVER_USER: user,
      STOWAGE_SERVER_API_KEY: apiKey,
      STOWAGE_SERVER_ROOT: root,
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
