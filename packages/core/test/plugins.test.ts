import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_CONFIGURE_LOCATION, Session, StowageError } from '../src/index.js';
import { tempDir } from './helpers.js';

const coreEntry = new URL('../src/index.ts', import.meta.url).href;

describe('plugins', () => {
  const saved = process.env.STOWAGE_PLUGIN_PATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.STOWAGE_PLUGIN_PATH;
    else process.env.STOWAGE_PLUGIN_PATH = saved;
  });

  it('loads modules on STOWAGE_PLUGIN_PATH and lets them configure a location', async () => {
    const dir = await tempDir('stowage-plugins-');
    await mkdir(join(dir, 'plugins'));
    // The plugin receives the session and subscribes to configure-location, as ftrack plugins do.
    await writeFile(
      join(dir, 'plugins', 'studio.mjs'),
      `export function register(session) {
        session.eventHub.subscribe('${EVENT_CONFIGURE_LOCATION}', async (event) => {
          const { MemoryAccessor } = await import(${JSON.stringify(coreEntry)});
          const location = event.data.session.createLocation({ name: 'studio.plugin', priority: 30 });
          location.accessor = new MemoryAccessor();
          location.structure = { getResourceIdentifier: (component) => component.id };
        });
      }`,
    );
    await writeFile(join(dir, 'plugins', 'not-a-plugin.mjs'), 'export const nothing = 1;');
    await writeFile(join(dir, 'plugins', 'README.txt'), 'ignored');
    process.env.STOWAGE_PLUGIN_PATH = join(dir, 'plugins');
    const session = await Session.create();
    const location = session.getLocation('studio.plugin');
    expect(location.priority).toBe(30);
    expect(location.accessor?.name).toBe('memory');
    expect((await session.pickLocation())?.name).toBe('studio.plugin');
  });

  it('fails loudly, naming the file, when a plugin cannot be imported', async () => {
    const dir = await tempDir('stowage-plugins-');
    await writeFile(join(dir, 'broken.mjs'), 'export function register( {');
    const error = await Session.create({ pluginPaths: [dir] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StowageError);
    expect((error as Error).message).toContain('broken.mjs');
  });
});
