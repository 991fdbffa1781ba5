import { StowageError } from '@stowage/core';
import type { Database } from 'better-sqlite3';

/** One schema step; runs inside the migration transaction. */
export type Migration = (db: Database) => void;

/**
 * Ordered schema migrations; `PRAGMA user_version` records how many ran.
 * Append only: databases in the field are at some index of this list.
 */
export const MIGRATIONS: readonly Migration[] = [
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
  // Checksums computed while a file was written to a location (JSON of hex digests), for verify.
  (db) => {
    db.exec('ALTER TABLE component_locations ADD COLUMN checksums TEXT');
  },
];

/**
 * Bring the schema up to date in one IMMEDIATE transaction: when several
 * processes open a new file at once, one migrates and the others wait, then
 * find nothing left to do. A failed step rolls every step back.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  return db
    .transaction(() => {
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current > migrations.length) {
        throw new StowageError(
          `Registry schema version ${current} is newer than this @stowage/registry-sqlite supports (${migrations.length}).`,
          { details: { schemaVersion: current, supported: migrations.length, path: db.name } },
        );
      }
      for (let version = current; version < migrations.length; version++) migrations[version]!(db);
      db.pragma(`user_version = ${migrations.length}`);
      return migrations.length;
    })
    .immediate();
}
