// Azurite's blob service (npm `azurite`, a root devDependency) in disk mode,
// on 127.0.0.1 with a free port and a temp folder. In-memory mode is avoided:
// it grew past 1.3 GiB on large uploads. The well-known development account
// devstoreaccount1 and its published key are the only credentials.
//
// When STOWAGE_TEST_AZURE_CONNECTION_STRING is already set (real Azure, or
// the Azurite of docker/compose.yaml), nothing is started and that account is
// used as it is.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  BackendStartError,
  freePort,
  HOST,
  makeTempRoot,
  REPO_ROOT,
  readLog,
  spawnServer,
  stopProcess,
  waitForPort,
} from '../util.mjs';

const KIND = 'azure';
const AZURITE_BLOB = join(REPO_ROOT, 'node_modules', '.bin', 'azurite-blob');
/** Azurite's documented development account (public, not a secret). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** The container the tests use (3-63 chars, lower case). */
const CONTAINER = 'stowage-test';

export async function install() {
  if (existsSync(AZURITE_BLOB)) return;
  throw new BackendStartError(
    KIND,
    `${AZURITE_BLOB} not found: azurite is a root devDependency, run \`npm ci\` at the repository root`,
  );
}

export async function start() {
  const external = process.env.STOWAGE_TEST_AZURE_CONNECTION_STRING;
  if (external) {
    return {
      env: {
        STOWAGE_TEST_AZURE_CONNECTION_STRING: external,
        STOWAGE_TEST_AZURE_CONTAINER: process.env.STOWAGE_TEST_AZURE_CONTAINER || CONTAINER,
      },
      stop: async () => {},
    };
  }
  await install();
  const dir = makeTempRoot(KIND);
  const location = join(dir, 'data');
  const logFile = join(dir, 'azurite.log');
  const port = await freePort();
  const child = spawnServer(
    AZURITE_BLOB,
    [
      '--blobHost',
      HOST,
      '--blobPort',
      String(port),
      '--location',
      location,
      '--silent',
      '--skipApiVersionCheck',
      '--disableTelemetry',
    ],
    { logFile },
  );
  try {
    await waitForPort(port, { child, kind: KIND, logFile, timeoutMs: 30_000 });
  } catch (error) {
    await stopProcess(child);
    const log = readLog(logFile);
    rmSync(dir, { recursive: true, force: true });
    if (error instanceof BackendStartError && log) throw new BackendStartError(KIND, error.message, log);
    throw error;
  }
  const endpoint = `http://${HOST}:${port}/${ACCOUNT}`;
  return {
    env: {
      STOWAGE_TEST_AZURE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${endpoint};`,
      STOWAGE_TEST_AZURE_CONTAINER: CONTAINER,
      STOWAGE_TEST_AZURE_BLOB_ENDPOINT: endpoint,
      STOWAGE_TEST_AZURE_DATA_ROOT: location,
    },
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
