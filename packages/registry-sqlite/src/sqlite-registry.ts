import {
  type AvailabilityMap,
  type ComponentLocationRecord,
  type Registry,
  roundAvailability,
  type StoredComponent,
} from '@stowage/core';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

export interface SqliteRegistryOptions {
  /** Database file, or ':memory:'. */
  path: string;
  /** How long a writer waits for another process's lock, in ms (default 10 s). */
  busyTimeoutMs?: number;
}

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

/**
 * A persistent registry on SQLite (better-sqlite3): WAL journal so readers
 * never block writers, a busy timeout so several processes on one machine
 * take turns, every batch in one IMMEDIATE transaction, and availability for
 * many components and locations in one query.
 */
export class SqliteRegistry implements Registry {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements;

  constructor(options: SqliteRegistryOptions) {
    this.path = options.path;
    this.db = new Database(options.path);
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    if (options.path !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    migrate(this.db);
    const db = this.db;
    this.statements = {
      upsert: db.prepare(`
        INSERT INTO components (id, name, kind, file_type, size, padding, container_id, version)
        VALUES (@id, @name, @kind, @fileType, @size, @padding, @containerId, @version)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, file_type = excluded.file_type,
          size = excluded.size, padding = excluded.padding, container_id = excluded.container_id, version = excluded.version`),
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
      insertLocation: db.prepare(
        'INSERT INTO component_locations (component_id, location_id, resource_identifier) VALUES (?, ?, ?)',
      ),
      removeLocations: db.prepare(
        'DELETE FROM component_locations WHERE location_id = ? AND component_id IN (SELECT value FROM json_each(?))',
      ),
      locations: db.prepare<
        [string],
        { component_id: string; location_id: string; resource_identifier: string }
      >('SELECT * FROM component_locations WHERE component_id IN (SELECT value FROM json_each(?))'),
      locationsIn: db.prepare<
        [string, string],
        { component_id: string; location_id: string; resource_identifier: string }
      >(
        `SELECT * FROM component_locations WHERE component_id IN (SELECT value FROM json_each(?))
         AND location_id IN (SELECT value FROM json_each(?))`,
      ),
      listIds: db.prepare<[string], { component_id: string }>(
        'SELECT component_id FROM component_locations WHERE location_id = ?',
      ),
      // One query answers every (component, location) pair: member counts, file
      // members present per location, the component's own records, and which
      // members are themselves containers (rare; resolved recursively).
      availability: db.prepare<
        [{ components: string; locations: string }],
        { kind: string; id: string; loc: string | null; value: number }
      >(`
        WITH req(id) AS (SELECT value FROM json_each(@components)), loc(id) AS (SELECT value FROM json_each(@locations))
        SELECT 'n' AS kind, m.container_id AS id, NULL AS loc, COUNT(*) AS value
          FROM components m WHERE m.container_id IN (SELECT id FROM req) GROUP BY m.container_id
        UNION ALL
        SELECT 'p', m.container_id, cl.location_id, COUNT(*)
          FROM components m JOIN component_locations cl ON cl.component_id = m.id
          WHERE m.container_id IN (SELECT id FROM req) AND m.kind = 'file' AND cl.location_id IN (SELECT id FROM loc)
          GROUP BY m.container_id, cl.location_id
        UNION ALL
        SELECT 'o', cl.component_id, cl.location_id, 1
          FROM component_locations cl
          WHERE cl.component_id IN (SELECT id FROM req) AND cl.location_id IN (SELECT id FROM loc)
        UNION ALL
        SELECT 'c', m.container_id, m.id, 0
          FROM components m WHERE m.container_id IN (SELECT id FROM req) AND m.kind != 'file'`),
    };
  }

  async putComponents(components: StoredComponent[]): Promise<void> {
    this.db
      .transaction(() => {
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
      })
      .immediate();
  }

  async getComponent(id: string): Promise<StoredComponent | undefined> {
    const row = this.statements.get.get(id);
    return row && fromRow(row);
  }

  async getComponents(ids: string[]): Promise<StoredComponent[]> {
    const rows = new Map(this.statements.getMany.all(JSON.stringify(ids)).map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = rows.get(id);
      return row ? [fromRow(row)] : [];
    });
  }

  async getMembers(containerId: string): Promise<StoredComponent[]> {
    return this.statements.members.all(containerId).map(fromRow);
  }

  async addComponentLocations(records: ComponentLocationRecord[]): Promise<{ conflicts: string[] }> {
    return this.db
      .transaction(() => {
        const conflicts: string[] = [];
        const byLocation = new Map<string, string[]>();
        const seen = new Set<string>();
        for (const record of records) {
          const key = `${record.componentId}\u0000${record.locationId}`;
          if (seen.has(key)) conflicts.push(record.componentId);
          seen.add(key);
          let ids = byLocation.get(record.locationId);
          if (!ids) byLocation.set(record.locationId, (ids = []));
          ids.push(record.componentId);
        }
        for (const [locationId, ids] of byLocation) {
          for (const row of this.statements.present.all(locationId, JSON.stringify(ids)))
            conflicts.push(row.component_id);
        }
        if (conflicts.length > 0) return { conflicts };
        for (const record of records) {
          this.statements.insertLocation.run(
            record.componentId,
            record.locationId,
            record.resourceIdentifier,
          );
        }
        return { conflicts };
      })
      .immediate();
  }

  async removeComponentLocations(locationId: string, componentIds: string[]): Promise<void> {
    this.db
      .transaction(() => this.statements.removeLocations.run(locationId, JSON.stringify(componentIds)))
      .immediate();
  }

  async getComponentLocations(
    componentIds: string[],
    locationIds?: string[],
  ): Promise<ComponentLocationRecord[]> {
    const rows = locationIds
      ? this.statements.locationsIn.all(JSON.stringify(componentIds), JSON.stringify(locationIds))
      : this.statements.locations.all(JSON.stringify(componentIds));
    return rows.map((row) => ({
      componentId: row.component_id,
      locationId: row.location_id,
      resourceIdentifier: row.resource_identifier,
    }));
  }

  async listComponentIds(locationId: string): Promise<string[]> {
    return this.statements.listIds.all(locationId).map((row) => row.component_id);
  }

  async getAvailabilities(componentIds: string[], locationIds: string[]): Promise<AvailabilityMap> {
    const raw = this.availabilityRaw(componentIds, locationIds);
    const result: AvailabilityMap = {};
    for (const id of componentIds) {
      const availability: Record<string, number> = {};
      for (const locationId of locationIds) availability[locationId] = roundAvailability(raw(id, locationId));
      result[id] = availability;
    }
    return result;
  }

  /** Unrounded availability, as a lookup; container members recurse (one query per level). */
  private availabilityRaw(
    componentIds: string[],
    locationIds: string[],
  ): (id: string, locationId: string) => number {
    const counts = new Map<string, number>();
    const present = new Map<string, number>();
    const own = new Set<string>();
    const nested = new Map<string, string[]>();
    for (const row of this.statements.availability.all({
      components: JSON.stringify(componentIds),
      locations: JSON.stringify(locationIds),
    })) {
      if (row.kind === 'n') counts.set(row.id, row.value);
      else if (row.kind === 'p') present.set(`${row.id}\u0000${row.loc}`, row.value);
      else if (row.kind === 'o') own.add(`${row.id}\u0000${row.loc}`);
      else {
        let list = nested.get(row.id);
        if (!list) nested.set(row.id, (list = []));
        list.push(row.loc!);
      }
    }
    const inner =
      nested.size > 0
        ? this.availabilityRaw([...new Set([...nested.values()].flat())], locationIds)
        : undefined;
    return (id, locationId) => {
      const count = counts.get(id) ?? 0;
      if (count === 0) return own.has(`${id}\u0000${locationId}`) ? 100 : 0;
      let total = (present.get(`${id}\u0000${locationId}`) ?? 0) * 100;
      for (const member of nested.get(id) ?? []) total += inner!(member, locationId);
      return total / count;
    };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
