import { UsageError } from '../output.js';

export interface ServeOptions {
  port: string;
  host: string;
  root: string;
}

/** Run the file server until Ctrl-C. Its secret and API keys come from the environment. */
export async function serveCommand(options: ServeOptions, signal: AbortSignal): Promise<void> {
  let module: Record<string, unknown>;
  try {
    // Imported by name at run time: the file server is optional for CLI users.
    const name = '@stowage/file-server';
    module = (await import(name)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(
      `Cannot load @stowage/file-server: ${(error as Error).message}`,
      'npm install @stowage/file-server',
    );
  }
  const start = module.startFileServerFromEnv as
    | ((overrides: Record<string, unknown>) => Promise<{ url: string; close(): Promise<void> }>)
    | undefined;
  if (typeof start !== 'function')
    throw new UsageError('This @stowage/file-server has no startFileServerFromEnv().');
  const server = await start({ port: Number(options.port), host: options.host, root: options.root });
  console.log(`file server listening on ${server.url} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await server.close();
}
