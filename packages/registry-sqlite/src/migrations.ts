import type { Database } from 'better-sqlite3';

/** Ordered schema migrations; `PRAGMA user_version` records how many ran. */
export const MIGRATIONS: Array<(db: Database) => void> = [
  (db) => {
    db.exec(`
      CREATE TABLE components (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'sequence', 'container')),
        file_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        padding INTEGER,
        container_id TEXT,
        version TEXT
      );
      CREATE INDEX components_container ON components (container_id);
      CREATE TABLE component_locations (
        component_id TEXT NOT NULL,
        location_id TEXT NOT NULL,
        resource_identifier TEXT NOT NULL,
        PRIMARY KEY (component_id, location_id)
      ) WITHOUT ROWID;
      CREATE INDEX component_locations_location ON component_locations (location_id, component_id);
    `);
  },
];

/** Bring the schema up to date inside one transaction (safe when several processes open the file). */
export function migrate(db: Database): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `Registry schema version ${current} is newer than this @stowage/registry-sqlite (${MIGRATIONS.length}).`,
      );
    }
    for (let version = current; version < MIGRATIONS.length; version++) MIGRATIONS[version]!(db);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
