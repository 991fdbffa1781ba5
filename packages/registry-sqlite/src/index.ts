export { MIGRATIONS, migrate } from './migrations.js';
export { SqliteRegistry, type SqliteRegistryOptions } from './sqlite-registry.js';
