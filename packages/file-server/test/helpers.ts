import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DiskAccessor } from '@stowage/accessor-disk';
import type { Accessor } from '@stowage/core';
import { type RunningFileServer, type StartFileServerOptions, startFileServer } from '../src/index.js';

export const SECRET = 'test-secret-0123456789abcdef';
export const USER = 'pipeline';
export const API_KEY = 'pipeline-key-0123456789abcdef';
export const AUTH = { 'x-stowage-api-user': USER, 'x-stowage-api-key': API_KEY };

export interface TestServer extends RunningFileServer {
  root: string;
  accessor: Accessor;
  /** POST JSON to /api/<path> with the API key. */
  api(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** A fresh signed PUT URL (and headers) from /api/upload-metadata. */
  uploadUrl(body: Record<string, unknown>): Promise<{ url: string; headers: Record<string, string> }>;
  /** A signed URL from /api/sign. */
  signed(action: 'get' | 'head' | 'remove', componentId: string, expiresIn?: number): Promise<string>;
  /** Every file under the storage root (temp files included), relative. */
  storedFiles(): Promise<string[]>;
  dispose(): Promise<void>;
}

export async function startTestServer(options: Partial<StartFileServerOptions> = {}): Promise<TestServer> {
  const root = mkdtempSync(join(tmpdir(), 'stowage-file-server-test-'));
  const accessor = options.accessor ?? new DiskAccessor({ prefix: root, fsync: false });
  const server = await startFileServer({
    secret: SECRET,
    apiKeys: { [USER]: API_KEY },
    accessor,
    ...options,
  });
  const api = (path: string, body: unknown, headers: Record<string, string> = AUTH) =>
    fetch(`${server.url}/api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  return {
    ...server,
    root,
    accessor,
    api,
    async uploadUrl(body) {
      const response = await api('upload-metadata', body);
      if (response.status !== 200)
        throw new Error(`upload-metadata: ${response.status} ${await response.text()}`);
      return (await response.json()) as { url: string; headers: Record<string, string> };
    },
    async signed(action, componentId, expiresIn) {
      const response = await api('sign', { action, componentId, ...(expiresIn ? { expiresIn } : {}) });
      if (response.status !== 200) throw new Error(`sign: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { url: string }).url;
    },
    async storedFiles() {
      const entries = await readdir(root, { recursive: true, withFileTypes: true });
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => relative(root, join(entry.parentPath, entry.name)))
        .sort();
    },
    async dispose() {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A fetch body that arrives in `chunks` pieces (no Content-Length: chunked transfer). */
export function chunkedBody(data: Buffer, chunks = 4): ReadableStream<Uint8Array> {
  const size = Math.ceil(data.length / chunks) || 1;
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= data.length) return controller.close();
      controller.enqueue(data.subarray(offset, offset + size));
      offset += size;
    },
  });
}
