import { readdir, stat } from 'node:fs/promises';
import { delimiter, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StowageError } from './errors.js';

/** A plugin module exports `register(session)` (sync or async). */
export interface PluginModule<S> {
  register(session: S): void | Promise<void>;
}

const PLUGIN_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

/**
 * Module files on a plugin path (STOWAGE_PLUGIN_PATH: folders or files joined
 * by the platform delimiter), sorted by name within a folder.
 */
export async function discoverPluginFiles(pluginPath: string | string[]): Promise<string[]> {
  const entries = (Array.isArray(pluginPath) ? pluginPath : pluginPath.split(delimiter)).filter(Boolean);
  const files: string[] = [];
  for (const entry of entries) {
    const path = resolve(entry);
    const info = await stat(path).catch(() => undefined);
    if (!info) continue;
    if (info.isFile()) {
      files.push(path);
      continue;
    }
    for (const name of (await readdir(path)).sort()) {
      if (PLUGIN_EXTENSIONS.has(extname(name))) files.push(join(path, name));
    }
  }
  return files;
}

/** Import each plugin and call its `register(session)`; a broken plugin fails loudly with its path. */
export async function loadPlugins<S>(session: S, pluginPath: string | string[]): Promise<string[]> {
  const files = await discoverPluginFiles(pluginPath);
  for (const file of files) {
    let module: Partial<PluginModule<S>>;
    try {
      module = (await import(pathToFileURL(file).href)) as Partial<PluginModule<S>>;
    } catch (error) {
      throw new StowageError(`Could not load plugin ${file}.`, { cause: error, details: { plugin: file } });
    }
    if (typeof module.register !== 'function') continue; // not a plugin: ftrack skips these too
    await module.register(session);
  }
  return files;
}
