import { setTimeout as delay } from 'node:timers/promises';
import {
  type AvailabilityMap,
  type ComponentLocationRecord,
  type Registry,
  roundAvailability,
  type StoredComponent,
  StowageError,
} from '@stowage/core';
import Database from 'better-sqlite3';
import { AVAILABILITY_SQL } from './availability-query.js';
import { migrate } from './migrations.js';
import { isBusy, toRegistryError } from './sqlite-errors.js';

export interface SqliteRegistryOptions {
  /** Database file (created if missing), or ':memory:' for a private in-memory database. */
  path: string;
  /** How long an operation waits for other processes' locks before failing, in ms (default 10 s). */
  busyTimeoutMs?: number;
}

/**
 * SQLite's busy handler sleeps synchronously, freezing the event loop (and
 * every transfer in this process). It waits this long; longer waits happen
 * between async retries.
 */
const SYNC_BUSY_WAIT_MS = 50;

interface ComponentRow {
  id: string;
  name: string;
  kind: StoredComponent['kind'];
  file_type: string;
  size: number;
  padding: number | null;
  container_id: string | null;
  version: string | null;
}

interface LocationRow {
  component_id: string;
  location_id: string;
  resource_identifier: string;
  checksums: string | null;
}

function fromRow(row: ComponentRow): StoredComponent {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    fileType: row.file_type,
    size: row.size,
    ...(row.padding !== null ? { padding: row.padding } : {}),
    containerId: row.container_id,
    version: row.version ? JSON.parse(row.version) : null,
  };
}

function fromLocationRow(row: LocationRow): ComponentLocationRecord {
  return {
    componentId: row.component_id,
    locationId: row.location_id,
    resourceIdentifier: row.resource_identifier,
    ...(row.checksums ? { checksums: JSON.parse(row.checksums) } : {}),
  };
}

function prepareStatements(db: Database.Database) {
  // Id lists travel as one JSON parameter: no limit on their length, one plan.
  return {
    upsert: db.prepare(`
      INSERT INTO components (id, name, kind, file_type, size, padding, container_id, version)
      VALUES (@id, @name, @kind, @fileType, @size, @padding, @containerId, @version)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
        file_type = excluded.file_type, size = excluded.size, padding = excluded.padding,
        container_id = excluded.container_id, version = excluded.version`),
    get: db.prepare<[string], ComponentRow>('SELECT * FROM components WHERE id = ?'),
    getMany: db.prepare<[string], ComponentRow>(
      'SELECT * FROM components WHERE id IN (SELECT value FROM json_each(?))',
    ),
    members: db.prepare<[string], ComponentRow>(
      'SELECT * FROM components WHERE container_id = ? ORDER BY name',
    ),
    present: db.prepare<[string, string], { component_id: string }>(
      `SELECT component_id FROM component_locations
       WHERE location_id = ? AND component_id IN (SELECT value FROM json_each(?))`,
    ),
    insertLocation: db.prepare<[string, string, string, string | null]>(
      'INSERT INTO component_locations (component_id, location_id, resource_identifier, checksums) VALUES (?, ?, ?, ?)',
    ),
    removeLocations: db.prepare<[string, string]>(
      'DELETE FROM component_locations WHERE location_id = ? AND component_id IN (SELECT value FROM json_each(?))',
    ),
    locations: db.prepare<[string], LocationRow>(
      'SELECT * FROM component_locations WHERE component_id IN (SELECT value FROM json_each(?))',
    ),
    locationsIn: db.prepare<[string, string], LocationRow>(
      `SELECT * FROM component_locations WHERE component_id IN (SELECT value FROM json_each(?))
       AND location_id IN (SELECT value FROM json_each(?))`,
    ),
    listIds: db.prepare<[string], { component_id: string }>(
      'SELECT component_id FROM component_locations WHERE location_id = ?',
    ),
    availability: db.prepare<
      [{ components: string; locations: string }],
      { root: string; location_id: string; value: number }
    >(AVAILABILITY_SQL),
  };
}

/**
 * A persistent registry on SQLite (better-sqlite3), safe for several
 * processes on one machine: WAL journal so readers never block the writer,
 * every write batch in one IMMEDIATE transaction (the write lock is taken
 * before anything is read, so check-then-insert cannot race), and waits for
 * other processes' locks that do not block the event loop. Availability of
 * many components in many locations is one query.
 */
export class SqliteRegistry implements Registry {
  readonly path: string;
  private readonly busyTimeoutMs: number;
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepareStatements>;

  constructor(options: SqliteRegistryOptions) {
    this.path = options.path;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    let db: Database.Database | undefined;
    try {
      db = new Database(options.path);
      // Opening and migrating are synchronous (a constructor): wait the full time here.
      db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      if (!db.memory) db.pragma('journal_mode = WAL');
      // WAL + NORMAL: a crash of this process loses nothing; a power cut may lose the last commits.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db);
      db.pragma(`busy_timeout = ${Math.min(this.busyTimeoutMs, SYNC_BUSY_WAIT_MS)}`);
      this.statements = prepareStatements(db);
    } catch (error) {
      if (db?.open) db.close();
      throw toRegistryError(error, 'open', options.path);
    }
    this.db = db;
  }

  async putComponents(components: StoredComponent[]): Promise<void> {
    await this.write('putComponents', () => {
      for (const component of components) {
        this.statements.upsert.run({
          id: component.id,
          name: component.name,
          kind: component.kind,
          fileType: component.fileType,
          size: component.size,
          padding: component.padding ?? null,
          containerId: component.containerId ?? null,
          version: component.version ? JSON.stringify(component.version) : null,
        });
      }
    });
  }

  async getComponent(id: string): Promise<StoredComponent | undefined> {
    const row = await this.read('getComponent', () => this.statements.get.get(id));
    return row && fromRow(row);
  }

  async getComponents(ids: string[]): Promise<StoredComponent[]> {
    if (ids.length === 0) return [];
    const rows = await this.read('getComponents', () => this.statements.getMany.all(JSON.stringify(ids)));
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [fromRow(row)] : [];
    });
  }

  async getMembers(containerId: string): Promise<StoredComponent[]> {
    const rows = await this.read('getMembers', () => this.statements.members.all(containerId));
    return rows.map(fromRow);
  }

  async addComponentLocations(records: ComponentLocationRecord[]): Promise<{ conflicts: string[] }> {
    if (records.length === 0) return { conflicts: [] };
    const byLocation = new Map<string, string[]>();
    for (const record of records) {
      let ids = byLocation.get(record.locationId);
      if (!ids) byLocation.set(record.locationId, (ids = []));
      ids.push(record.componentId);
    }
    return this.write('addComponentLocations', () => {
      const present = new Set<string>();
      for (const [locationId, ids] of byLocation) {
        for (const row of this.statements.present.all(locationId, JSON.stringify(ids)))
          present.add(`${row.component_id}\u0000${locationId}`);
      }
      // Each conflicting component once, in batch order: already there, or twice in the batch.
      const conflicts = new Set<string>();
      const seen = new Set<string>();
      for (const record of records) {
        const key = `${record.componentId}\u0000${record.locationId}`;
        if (present.has(key) || seen.has(key)) conflicts.add(record.componentId);
        seen.add(key);
      }
      if (conflicts.size > 0) return { conflicts: [...conflicts] };
      for (const record of records)
        this.statements.insertLocation.run(
          record.componentId,
          record.locationId,
          record.resourceIdentifier,
          record.checksums ? JSON.stringify(record.checksums) : null,
        );
      return { conflicts: [] };
    });
  }

  async removeComponentLocations(locationId: string, componentIds: string[]): Promise<void> {
    if (componentIds.length === 0) return;
    await this.write('removeComponentLocations', () =>
      this.statements.removeLocations.run(locationId, JSON.stringify(componentIds)),
    );
  }

  async getComponentLocations(
    componentIds: string[],
    locationIds?: string[],
  ): Promise<ComponentLocationRecord[]> {
    if (componentIds.length === 0 || locationIds?.length === 0) return [];
    const rows = await this.read('getComponentLocations', () =>
      locationIds
        ? this.statements.locationsIn.all(JSON.stringify(componentIds), JSON.stringify(locationIds))
        : this.statements.locations.all(JSON.stringify(componentIds)),
    );
    return rows.map(fromLocationRow);
  }

  async listComponentIds(locationId: string): Promise<string[]> {
    const rows = await this.read('listComponentIds', () => this.statements.listIds.all(locationId));
    return rows.map((row) => row.component_id);
  }

  async getAvailabilities(componentIds: string[], locationIds: string[]): Promise<AvailabilityMap> {
    const result: AvailabilityMap = {};
    for (const id of componentIds)
      result[id] = Object.fromEntries(locationIds.map((location) => [location, 0]));
    if (componentIds.length === 0 || locationIds.length === 0) return result;
    const rows = await this.read('getAvailabilities', () =>
      this.statements.availability.all({
        components: JSON.stringify(componentIds),
        locations: JSON.stringify(locationIds),
      }),
    );
    for (const row of rows) result[row.root]![row.location_id] = roundAvailability(row.value);
    return result;
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    try {
      // Keeps the planner's statistics fresh for the next connection (cheap: only what changed).
      this.db.pragma('optimize');
    } catch {
      // Best effort: writing the statistics needs the write lock, and another
      // process sharing the file may hold it. Nothing is lost; the next close
      // or connection refreshes them. A close must not fail for it.
    } finally {
      this.db.close();
    }
  }

  /** A read: one statement, one consistent snapshot. */
  private read<T>(operation: string, work: () => T): Promise<T> {
    return this.withLockWait(operation, work);
  }

  /** A write batch in one IMMEDIATE transaction: all or nothing. */
  private write<T>(operation: string, work: () => T): Promise<T> {
    return this.withLockWait(operation, () => this.db.transaction(work).immediate());
  }

  /**
   * Run `work`; while another process holds the lock, wait asynchronously
   * (jittered, growing delays) and try again until `busyTimeoutMs` has passed.
   * A failed attempt changed nothing (its transaction rolled back).
   */
  private async withLockWait<T>(operation: string, work: () => T): Promise<T> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      if (!this.db.open)
        throw new StowageError('Registry is closed.', { details: { operation, path: this.path } });
      try {
        return work();
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw toRegistryError(error, operation, this.path);
      }
      await delay(Math.random() * Math.min(100, 5 * 2 ** attempt));
    }
  }
}
