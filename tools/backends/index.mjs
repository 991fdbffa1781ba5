// Backend launchers for tests, CI and people: `start(kind)` starts a real
// server on 127.0.0.1 with a free port and a temp root, and returns the env
// vars the conformance suites read plus `stop()`. A server that fails to start
// throws BackendStartError with its log: never a skip.
//
// Each kind lives in kinds/<kind>.mjs and exports:
//   install(): make the server binary available (apt, dpkg-deb -x, go build)
//   start(): Promise<{ env: Record<string,string>, stop(): Promise<void> }>

import { existsSync } from 'node:fs';

const KNOWN = ['sftp', 'proftpd', 'vsftpd', 's3', 'azure', 'nginx'];
const kindFile = (kind) => new URL(`./kinds/${kind}.mjs`, import.meta.url);

/** The backends this checkout has launchers for. */
export const kinds = KNOWN.filter((kind) => existsSync(kindFile(kind)));

async function load(kind) {
  if (!kinds.includes(kind)) throw new Error(`Unknown backend "${kind}". Known: ${kinds.join(', ')}`);
  return import(kindFile(kind).href);
}

/** Install whatever the backend needs (idempotent). */
export async function install(kind) {
  const module = await load(kind);
  await module.install?.();
}

const running = new Set();

/** Start a backend; returns { kind, env, stop }. */
export async function start(kind, options = {}) {
  const module = await load(kind);
  await module.install?.();
  const handle = await module.start(options);
  const entry = {
    kind,
    env: handle.env,
    stop: async () => {
      running.delete(entry);
      await handle.stop();
    },
  };
  running.add(entry);
  return entry;
}

/** Stop every backend this process started. */
export async function stop() {
  await Promise.all([...running].map((entry) => entry.stop()));
}

/**
 * For vitest globalSetup: start `kinds`, copy their env into process.env (the
 * test workers inherit it), and return the teardown.
 */
export async function setupBackends(...names) {
  const started = [];
  try {
    for (const name of names) {
      const handle = await start(name);
      started.push(handle);
      Object.assign(process.env, handle.env);
    }
  } catch (error) {
    await Promise.all(started.map((handle) => handle.stop()));
    throw error;
  }
  return async () => {
    await Promise.all(started.map((handle) => handle.stop()));
  };
}
