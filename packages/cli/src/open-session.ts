import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defaultCheckpointDirectory, FileCheckpointStore, Session } from '@stowage/core';
import { SqliteRegistry } from '@stowage/registry-sqlite';
import { type LoadedConfig, resolveConfigPath } from './config.js';
import { createAccessor, createStructure } from './factory.js';

/** A session on the config's registry, with every configured location set up. */
export async function openSession(loaded: LoadedConfig): Promise<Session> {
  const { config, baseDir } = loaded;
  const registryPath = resolveConfigPath(
    baseDir,
    typeof config.registry === 'string' ? config.registry : config.registry.path,
  );
  if (registryPath !== ':memory:') await mkdir(dirname(registryPath), { recursive: true });
  const session = new Session({
    registry: new SqliteRegistry({ path: registryPath }),
    // Checkpoints name location ids and paths of this registry: keep them beside it
    // (STOWAGE_CHECKPOINT_DIR still wins), so an interrupted publish resumes from the same project.
    checkpoints: new FileCheckpointStore(
      process.env.STOWAGE_CHECKPOINT_DIR ||
        (registryPath === ':memory:'
          ? defaultCheckpointDirectory()
          : join(dirname(registryPath), 'checkpoints')),
    ),
  });
  try {
    for (const location of config.locations) {
      const accessor = await createAccessor(location.accessor, baseDir);
      if (location.accessor.type === 'disk') await accessor.makeContainer('', true);
      session.createLocation({
        name: location.name,
        priority: location.priority,
        ...(location.description ? { description: location.description } : {}),
        accessor,
        structure: await createStructure(location.structure),
      });
    }
    await session.configure();
  } catch (error) {
    await session.close();
    throw error;
  }
  return session;
}
