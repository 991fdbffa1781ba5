export { MIGRATIONS, type Migration, migrate } from './migrations.js';
export { SqliteRegistry, type SqliteRegistryOptions } from './sqlite-registry.js';
