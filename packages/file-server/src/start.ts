import type { FastifyInstance } from 'fastify';
import { fileServerOptionsFromEnv, type StartFileServerOptions } from './options.js';
import { createFileServer } from './server.js';

export interface RunningFileServer {
  /** Root URL, e.g. http://127.0.0.1:8080 (no trailing slash). */
  url: string;
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Create the server and listen (default 127.0.0.1, a free port). */
export async function startFileServer(options: StartFileServerOptions): Promise<RunningFileServer> {
  const { host = '127.0.0.1', port = 0, ...serverOptions } = options;
  const app = createFileServer(serverOptions);
  await app.listen({ host, port });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${actualPort}`,
    port: actualPort,
    app,
    close: () => app.close(),
  };
}

/**
 * Start from STOWAGE_FILE_SERVER_* variables (and the optional JSON config
 * file they name), with `overrides` on top; the CLI's `stowage serve` and the
 * `stowage-file-server` bin use it.
 */
export function startFileServerFromEnv(
  overrides: Partial<StartFileServerOptions> = {},
  env: Record<string, string | undefined> = process.env,
): Promise<RunningFileServer> {
  const options = fileServerOptionsFromEnv(env, overrides);
  return startFileServer({ port: 8080, root: '.stowage/file-server', ...options });
}
