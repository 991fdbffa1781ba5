// Shared helpers for backend launchers: free ports, temp roots, spawning a
// server with its log captured, and waiting until it answers.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HOST = '127.0.0.1';

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Several distinct free ports. */
export async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export function makeTempRoot(kind) {
  return mkdtempSync(join(tmpdir(), `stowage-${kind}-`));
}

export class BackendStartError extends Error {
  constructor(kind, message, log) {
    super(`Backend "${kind}" failed to start: ${message}${log ? `\n--- log ---\n${log}` : ''}`);
    this.name = 'BackendStartError';
  }
}

/**
 * Spawn a long-running server in its own process group with stdout/stderr in
 * `logFile`. Returns the child; `stopProcess` ends it.
 */
export function spawnServer(command, args, { logFile, cwd, env, stdin = 'ignore' } = {}) {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: [stdin, 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  child.exitInfo = null;
  child.on('exit', (code, signal) => {
    child.exitInfo = { code, signal };
  });
  child.on('error', (error) => {
    child.exitInfo = { code: null, signal: null, error };
  });
  return child;
}

export function readLog(logFile) {
  try {
    return readFileSync(logFile, 'utf8').slice(-8000);
  } catch {
    return '';
  }
}

/** Resolve once `port` accepts a connection (and sends `banner`, if given). */
export async function waitForPort(
  port,
  { timeoutMs = 20_000, banner, child, kind = 'server', logFile } = {},
) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (child?.exitInfo) {
      throw new BackendStartError(
        kind,
        `process exited early (${JSON.stringify(child.exitInfo)})`,
        logFile && readLog(logFile),
      );
    }
    try {
      await probe(port, banner);
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new BackendStartError(
    kind,
    `port ${port} not ready after ${timeoutMs} ms (${lastError?.message})`,
    logFile && readLog(logFile),
  );
}

function probe(port, banner) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timeout'));
    }, 1000);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', () => {
      if (!banner) {
        clearTimeout(timer);
        socket.end();
        resolve();
      }
    });
    let received = '';
    socket.on('data', (data) => {
      received += data.toString('latin1');
      if (banner && received.includes(banner)) {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      }
    });
  });
}

/** Stop a spawned server: SIGTERM to its process group, SIGKILL after a grace period. */
export async function stopProcess(child, graceMs = 3000) {
  if (!child || child.exitInfo) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = new Promise((resolve) => setTimeout(resolve, graceMs, 'timeout'));
  if ((await Promise.race([exited, timer])) === 'timeout') {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    await exited;
  }
}

/** Whether a command is on PATH or at an absolute path. */
export function hasCommand(command) {
  if (command.startsWith('/')) return existsSync(command);
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let aptUpdated = false;
/** Install Debian packages that are missing (root only; CI and dev machines are root). */
export function aptInstall(packages) {
  const missing = packages.filter((name) => {
    try {
      const out = execFileSync('dpkg-query', ['-W', '-f=${Status}', name], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString();
      return !out.includes('install ok installed');
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
    aptUpdated = true;
  }
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
}

/** Repository root (tools/backends/../..). */
export const REPO_ROOT = new URL('../../', import.meta.url).pathname;
/** Git-ignored cache for built server binaries and unpacked .debs. */
export const CACHE_DIR = join(REPO_ROOT, '.cache', 'backends');
