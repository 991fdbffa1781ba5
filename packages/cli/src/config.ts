import { readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Config file names looked up in the working directory, in order. */
export const CONFIG_FILES = [
  'stowage.config.json',
  'stowage.config.yaml',
  'stowage.config.yml',
  'stowage.config.mjs',
];

const accessorSchema = z
  .object({ type: z.enum(['disk', 'memory', 'sftp', 'ftp', 's3', 'azure', 'server']) })
  .catchall(z.unknown());

const structureSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('id'), prefix: z.string().optional() }),
  z.object({
    type: z.literal('standard'),
    projectVersionsPrefix: z.string().optional(),
    illegalCharacterSubstitute: z.string().nullable().optional(),
  }),
]);

const locationSchema = z.object({
  name: z
    .string()
    .min(1)
    .refine((name) => !name.startsWith('stowage.'), 'names starting with "stowage." are reserved'),
  priority: z.number().int().default(50),
  description: z.string().optional(),
  accessor: accessorSchema,
  structure: structureSchema.default({ type: 'id' }),
});

export const configSchema = z.object({
  registry: z.union([z.string(), z.object({ path: z.string() })]).default('./.stowage/registry.db'),
  locations: z.array(locationSchema).min(1),
  fileServer: z.record(z.string(), z.unknown()).optional(),
});

export type StowageConfig = z.infer<typeof configSchema>;
export type LocationConfig = z.infer<typeof locationSchema>;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: StowageConfig;
  /** The file it came from, or null for the embedded default. */
  file: string | null;
  /** Relative paths in the config are resolved against this folder. */
  baseDir: string;
}

/** The embedded default: a SQLite registry and one disk location, both under ./.stowage. */
export function defaultConfig(): StowageConfig {
  return configSchema.parse({
    registry: './.stowage/registry.db',
    locations: [
      {
        name: 'local',
        priority: 10,
        description: 'Default disk location under ./.stowage/local',
        accessor: { type: 'disk', prefix: './.stowage/local' },
        structure: { type: 'id' },
      },
    ],
  });
}

/** Replace `${VAR}` and `${VAR:-default}` in every string, so secrets stay in the environment. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_match, name: string, fallback?: string) => {
        const found = env[name];
        if (found !== undefined && found !== '') return found;
        if (fallback !== undefined) return fallback;
        throw new ConfigError(
          `Config value at ${path || '(root)'} needs environment variable ${name}, which is not set.`,
          `export ${name}=... or write \${${name}:-default}`,
        );
      },
    );
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, `${path}[${index}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolateEnv(item, env, path ? `${path}.${key}` : key),
      ]),
    );
  }
  return value;
}

async function readConfigFile(file: string): Promise<unknown> {
  const extension = extname(file);
  if (extension === '.mjs' || extension === '.js') {
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    return module.default;
  }
  const text = await readFile(file, 'utf8');
  try {
    return extension === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(`Cannot parse ${file}: ${(error as Error).message}`, 'check the file syntax');
  }
}

/** Load and validate the config: an explicit file, else one in `cwd`, else the embedded default. */
export async function loadConfig(
  options: { file?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  let file: string | null = null;
  if (options.file) {
    file = resolve(cwd, options.file);
  } else {
    for (const name of CONFIG_FILES) {
      const candidate = resolve(cwd, name);
      if (
        await readFile(candidate).then(
          () => true,
          () => false,
        )
      ) {
        file = candidate;
        break;
      }
    }
  }
  if (!file) return { config: defaultConfig(), file: null, baseDir: cwd };
  const raw = await readConfigFile(file).catch((error: unknown) => {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`Cannot read config ${file}: ${(error as Error).message}`, 'pass --config <file>');
  });
  const parsed = configSchema.safeParse(interpolateEnv(raw, env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new ConfigError(
      `Invalid config ${file}: ${where}: ${issue.message}`,
      'see the README for the config format',
    );
  }
  const names = new Set<string>();
  for (const location of parsed.data.locations) {
    if (names.has(location.name))
      throw new ConfigError(`Invalid config ${file}: duplicate location "${location.name}"`);
    names.add(location.name);
  }
  return { config: parsed.data, file, baseDir: dirname(file) };
}

/** Resolve a path from the config against its folder. */
export function resolveConfigPath(baseDir: string, path: string): string {
  return path === ':memory:' || isAbsolute(path) ? path : resolve(baseDir, path);
}
