// Versity's S3 gateway (versitygw) with its POSIX backend: a production S3
// server (SigV4 checked, multipart with ListParts/Abort, conditional writes),
// built once from the Go module proxy into the git-ignored cache. Each start
// serves a fresh temp directory on a free port with random root credentials
// and one bucket.
//
// When STOWAGE_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY_ID and
// _SECRET_ACCESS_KEY are already set (MinIO from docker/compose.yaml, AWS),
// start() uses that server instead and starts nothing.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
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

const KIND = 's3';
export const VERSITYGW_MODULE = 'github.com/versity/versitygw/cmd/versitygw';
export const VERSITYGW_VERSION = 'v1.8.0';
const BIN_DIR = join(CACHE_DIR, 'bin');
export const VERSITYGW = join(BIN_DIR, 'versitygw');
const REGION = 'us-east-1';
const BUCKET = 'stowage-test';
const EXTERNAL = [
  'STOWAGE_TEST_S3_ENDPOINT',
  'STOWAGE_TEST_S3_BUCKET',
  'STOWAGE_TEST_S3_ACCESS_KEY_ID',
  'STOWAGE_TEST_S3_SECRET_ACCESS_KEY',
];

function external() {
  return EXTERNAL.every((name) => process.env[name]);
}

/** Build versitygw into .cache/backends/bin unless it is there (a first build takes a few minutes). */
export async function install() {
  if (external() || existsSync(VERSITYGW)) return;
  mkdirSync(BIN_DIR, { recursive: true });
  process.stderr.write(
    `[backends] building versitygw ${VERSITYGW_VERSION} with go install (first run only)...\n`,
  );
  const started = Date.now();
  try {
    execFileSync('go', ['install', `${VERSITYGW_MODULE}@${VERSITYGW_VERSION}`], {
      stdio: ['ignore', 'inherit', 'pipe'],
      env: { ...process.env, GOBIN: BIN_DIR, GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=mod`.trim() },
    });
  } catch (error) {
    throw new BackendStartError(
      KIND,
      `go install ${VERSITYGW_MODULE}@${VERSITYGW_VERSION} failed: ${error.stderr?.toString().trim() || error.message}`,
    );
  }
  process.stderr.write(`[backends] versitygw built in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

export async function start() {
  if (external()) {
    return {
      env: {
        STOWAGE_TEST_S3_REGION: process.env.STOWAGE_TEST_S3_REGION || REGION,
        STOWAGE_TEST_S3_EXTERNAL: '1',
      },
      stop: async () => {},
    };
  }
  if (!existsSync(VERSITYGW))
    throw new BackendStartError(KIND, `${VERSITYGW} not found (install() builds it)`);
  const root = makeTempRoot(KIND);
  try {
    return await startIn(root);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(root) {
  const dataDir = join(root, 'data');
  // The posix backend serves each top-level directory as a bucket.
  mkdirSync(join(dataDir, BUCKET), { recursive: true });
  const accessKeyId = `stowage${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const port = await freePort();
  const logFile = join(root, 'versitygw.log');
  // Credentials go through the environment, not argv (visible in ps).
  const child = spawnServer(VERSITYGW, ['--port', `${HOST}:${port}`, 'posix', dataDir], {
    logFile,
    env: { ROOT_ACCESS_KEY: accessKeyId, ROOT_SECRET_KEY: secretAccessKey },
  });
  try {
    await waitForPort(port, { child, kind: KIND, logFile });
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  if (child.exitInfo) throw new BackendStartError(KIND, 'exited after start', readLog(logFile));

  return {
    env: {
      STOWAGE_TEST_S3_ENDPOINT: `http://${HOST}:${port}`,
      STOWAGE_TEST_S3_REGION: REGION,
      STOWAGE_TEST_S3_BUCKET: BUCKET,
      STOWAGE_TEST_S3_ACCESS_KEY_ID: accessKeyId,
      STOWAGE_TEST_S3_SECRET_ACCESS_KEY: secretAccessKey,
      STOWAGE_TEST_S3_DATA_ROOT: dataDir,
    },
    stop: async () => {
      await stopProcess(child);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
