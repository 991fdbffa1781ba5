import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskAccessor } from '@stowage/accessor-disk';
import { type RunningFileServer, type StartFileServerOptions, startFileServer } from '@stowage/file-server';
import { ServerAccessor, type ServerAccessorOptions } from '../src/index.js';

export const SECRET = 'server-secret-for-tests-0123456789';
export const USER = 'pipeline';
export const API_KEY = 'api-key-for-tests-0123456789abcdef';

export interface TestServer extends RunningFileServer {
  root: string;
  accessor(options?: Partial<ServerAccessorOptions>): ServerAccessor;
  dispose(): Promise<void>;
}

/** A real file server on 127.0.0.1 (a free port), disk-backed in a temp folder. */
export async function startTestServer(options: Partial<StartFileServerOptions> = {}): Promise<TestServer> {
  const root = mkdtempSync(join(tmpdir(), 'stowage-accessor-server-'));
  const server = await startFileServer({
    secret: SECRET,
    apiKeys: { [USER]: API_KEY },
    accessor: new DiskAccessor({ prefix: root, fsync: false }),
    ...options,
  });
  return {
    ...server,
    root,
    accessor: (overrides = {}) =>
      new ServerAccessor({
        url: server.url,
        user: USER,
        apiKey: API_KEY,
        retryBaseDelayMs: 20,
        ...overrides,
      }),
    async dispose() {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
