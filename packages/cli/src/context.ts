import type { Session } from '@stowage/core';
import { type LoadedConfig, loadConfig } from './config.js';
import { openSession } from './open-session.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  quiet?: boolean;
}

/** What every command gets: the loaded config, a session, and the Ctrl-C signal. */
export interface CommandContext {
  loaded: LoadedConfig;
  session: Session;
  options: GlobalOptions;
  signal: AbortSignal;
}

/** Open the session, run `body`, always close the session. */
export async function withSession<T>(
  options: GlobalOptions,
  signal: AbortSignal,
  body: (context: CommandContext) => Promise<T>,
): Promise<T> {
  const loaded = await loadConfig(options.config ? { file: options.config } : {});
  const session = await openSession(loaded);
  try {
    return await body({ loaded, session, options, signal });
  } finally {
    await session.close();
  }
}
