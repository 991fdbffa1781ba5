import { type Accessor, MemoryAccessor, type Structure } from '@stowage/core';
import { ConfigError, type LocationConfig, resolveConfigPath } from './config.js';

type Options = Record<string, unknown>;

/** Accessor packages by config type; imported only when a location uses them. */
const ACCESSORS: Record<string, { module: string; className: string }> = {
  disk: { module: '@stowage/accessor-disk', className: 'DiskAccessor' },
  sftp: { module: '@stowage/accessor-sftp', className: 'SftpAccessor' },
  ftp: { module: '@stowage/accessor-ftp', className: 'FtpAccessor' },
  s3: { module: '@stowage/accessor-s3', className: 'S3Accessor' },
  azure: { module: '@stowage/accessor-azure', className: 'AzureBlobAccessor' },
  server: { module: '@stowage/accessor-server', className: 'ServerAccessor' },
};

export async function createAccessor(config: LocationConfig['accessor'], baseDir: string): Promise<Accessor> {
  const { type, ...options } = config as Options & { type: string };
  if (type === 'memory') return new MemoryAccessor();
  if (type === 'disk' && typeof options.prefix === 'string')
    options.prefix = resolveConfigPath(baseDir, options.prefix);
  const entry = ACCESSORS[type];
  if (!entry) throw new ConfigError(`Unknown accessor type "${type}".`);
  let module: Record<string, unknown>;
  try {
    module = (await import(entry.module)) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(
      `Cannot load ${entry.module}: ${(error as Error).message}`,
      `npm install ${entry.module}`,
    );
  }
  const Accessor = module[entry.className] as (new (options: Options) => Accessor) | undefined;
  if (typeof Accessor !== 'function')
    throw new ConfigError(`${entry.module} does not export ${entry.className}.`);
  return new Accessor(options);
}

export async function createStructure(config: LocationConfig['structure']): Promise<Structure> {
  if (config.type === 'id') {
    const { IdStructure } = await import('@stowage/structure-id');
    return new IdStructure(config.prefix !== undefined ? { prefix: config.prefix } : {});
  }
  const { StandardStructure } = await import('@stowage/structure-standard');
  return new StandardStructure({
    ...(config.projectVersionsPrefix !== undefined
      ? { projectVersionsPrefix: config.projectVersionsPrefix }
      : {}),
    ...(config.illegalCharacterSubstitute !== undefined
      ? { illegalCharacterSubstitute: config.illegalCharacterSubstitute }
      : {}),
  });
}
