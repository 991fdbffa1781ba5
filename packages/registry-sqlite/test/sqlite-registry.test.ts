import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StoredComponent, StowageError } from '@stowage/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, SqliteRegistry } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-sqlite-'));
let counter = 0;
const newPath = () => join(dir, `r${counter++}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function frames(sequenceId: string, count: number): StoredComponent[] {
  return [
    { id: sequenceId, name: 'plate', kind: 'sequence', fileType: '.exr', size: 0, padding: 4 },
    ...Array.from({ length: count }, (_, i) => ({
      id: `${sequenceId}-${i}`,
      name: String(i).padStart(4, '0'),
      kind: 'file' as const,
      fileType: '.exr',
      size: 1,
      containerId: sequenceId,
    })),
  ];
}

async function rejection(promise: Promise<unknown>): Promise<StowageError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StowageError);
  return error as StowageError;
}

/** Holds the write lock from a second connection, as another process would. */
function holdWriteLock(path: string): { release: () => void } {
  const other = new Database(path);
  other.exec('BEGIN IMMEDIATE');
  return {
    release: () => {
      other.exec('COMMIT');
      other.close();
    },
  };
}

describe('SqliteRegistry', () => {
  it('keeps everything across close and reopen', async () => {
    const path = newPath();
    const first = new SqliteRegistry({ path });
    await first.putComponents(frames('s', 4));
    await first.addComponentLocations([
      { componentId: 's-0', locationId: 'studio', resourceIdentifier: 'plate.0000.exr' },
    ]);
    await first.close();
    const second = new SqliteRegistry({ path });
    try {
      expect(await second.getMembers('s')).toHaveLength(4);
      expect(await second.getAvailabilities(['s'], ['studio'])).toEqual({ s: { studio: 25 } });
    } finally {
      await second.close();
    }
  });

  it('upgrades a first-version database: old registrations stay, new ones keep checksums', async () => {
    const path = newPath();
    const old = new Database(path);
    migrate(old, MIGRATIONS.slice(0, 1));
    old
      .prepare(
        "INSERT INTO component_locations (component_id, location_id, resource_identifier) VALUES ('a', 'l', 'a.exr')",
      )
      .run();
    old.close();
    const registry = new SqliteRegistry({ path });
    try {
      await registry.addComponentLocations([
        {
          componentId: 'b',
          locationId: 'l',
          resourceIdentifier: 'b.exr',
          checksums: { md5: 'cd'.repeat(16) },
        },
      ]);
      expect(await registry.getComponentLocations(['a', 'b'], ['l'])).toEqual([
        { componentId: 'a', locationId: 'l', resourceIdentifier: 'a.exr' },
        {
          componentId: 'b',
          locationId: 'l',
          resourceIdentifier: 'b.exr',
          checksums: { md5: 'cd'.repeat(16) },
        },
      ]);
    } finally {
      await registry.close();
    }
  });

  it('closes while another process holds the write lock (the closing optimize is best effort)', async () => {
    const path = newPath();
    const registry = new SqliteRegistry({ path });
    // Enough new rows that the closing PRAGMA optimize has statistics to write.
    await registry.putComponents(frames('seq-busy', 2000));
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      await registry.close();
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const reopened = new SqliteRegistry({ path });
    try {
      expect((await reopened.getComponent('seq-busy-1999'))?.name).toBe('1999');
    } finally {
      await reopened.close();
    }
  });

  it('opens files in WAL mode at the latest schema version', async () => {
    const path = newPath();
    await new SqliteRegistry({ path }).close();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      const indices = db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index'")
        .all()
        .map((row) => row.name);
      expect(indices).toEqual(
        expect.arrayContaining(['components_container', 'component_locations_location']),
      );
    } finally {
      db.close();
    }
  });

  it('answers availability of nested components with one statement', async () => {
    const registry = new SqliteRegistry({ path: ':memory:' });
    const statements = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1'));
    const all = statements.all;
    let calls = 0;
    statements.all = function (this: unknown, ...args: unknown[]) {
      calls++;
      return all.apply(this, args);
    };
    try {
      await registry.putComponents([
        { id: 'box', name: 'box', kind: 'container', fileType: '', size: 0 },
        ...frames('s', 10).map((c) => (c.id === 's' ? { ...c, containerId: 'box' } : c)),
        ...frames('t', 10).map((c) => (c.id === 't' ? { ...c, containerId: 'box' } : c)),
      ]);
      await registry.addComponentLocations(
        ['s-0', 's-1', 't-9'].map((componentId) => ({
          componentId,
          locationId: 'l',
          resourceIdentifier: 'x',
        })),
      );
      calls = 0;
      const map = await registry.getAvailabilities(['box', 's', 't'], ['l', 'm']);
      expect(calls).toBe(1);
      expect(map).toEqual({ box: { l: 15, m: 0 }, s: { l: 20, m: 0 }, t: { l: 10, m: 0 } });
    } finally {
      statements.all = all;
      await registry.close();
    }
  });

  it('a write batch is all or nothing: a bad record rolls the whole batch back', async () => {
    const registry = new SqliteRegistry({ path: ':memory:' });
    try {
      const bad = {
        id: 'bad',
        name: 'bad',
        kind: 'folder',
        fileType: '',
        size: 0,
      } as unknown as StoredComponent;
      const error = await rejection(registry.putComponents([...frames('s', 3), bad]));
      expect(error.details).toMatchObject({ operation: 'putComponents', code: 'SQLITE_CONSTRAINT_CHECK' });
      expect(error.transient).toBe(false);
      expect(error.cause).toBeInstanceOf(Database.SqliteError);
      expect(await registry.getComponents(['s', 's-0'])).toEqual([]);
    } finally {
      await registry.close();
    }
  });

  it('waits for another process`s write lock without blocking the event loop', async () => {
    const path = newPath();
    const registry = new SqliteRegistry({ path });
    const lock = holdWriteLock(path);
    let released = false;
    // The longest stretch the event loop went without running a timer. A
    // waiting write blocks it for SYNC_BUSY_WAIT_MS (50 ms) per attempt at
    // most; a write that waited synchronously would block it for the whole
    // 400 ms (the lock is released from this thread). Counting ticks instead
    // failed on a loaded CI machine, where 10 ms timers fire late.
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 10);
    const pending = registry.addComponentLocations([
      { componentId: 'a', locationId: 'l', resourceIdentifier: 'a' },
    ]);
    pending.catch(() => {});
    try {
      await new Promise((resolve) => setTimeout(resolve, 400));
      // The ticker ran (a gap of 0 would mean it never fired).
      expect(longestGap).toBeGreaterThan(0);
      expect(longestGap).toBeLessThan(300);
      expect(await registry.getComponentLocations(['a'])).toEqual([]);
      lock.release();
      released = true;
      expect(await pending).toEqual({ conflicts: [] });
      expect(await registry.listComponentIds('l')).toEqual(['a']);
    } finally {
      clearInterval(ticker);
      // Release before closing: closing under the held lock would throw and hide a failed assertion.
      if (!released) lock.release();
      await registry.close();
    }
  });

  it('gives up after busyTimeoutMs with a transient error, having written nothing', async () => {
    const path = newPath();
    const registry = new SqliteRegistry({ path, busyTimeoutMs: 300 });
    const lock = holdWriteLock(path);
    try {
      const started = Date.now();
      const error = await rejection(registry.putComponents(frames('s', 2)));
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(error.transient).toBe(true);
      expect(error.details).toMatchObject({ operation: 'putComponents', path, code: 'SQLITE_BUSY' });
      lock.release();
      expect(await registry.getComponent('s')).toBeUndefined();
    } finally {
      await registry.close();
    }
  });

  it('reads are not blocked by a writer (WAL)', async () => {
    const path = newPath();
    const registry = new SqliteRegistry({ path });
    await registry.putComponents(frames('s', 2));
    const lock = holdWriteLock(path);
    try {
      expect(await registry.getMembers('s')).toHaveLength(2);
    } finally {
      lock.release();
      await registry.close();
    }
  });

  it('rejects use after close with a StowageError', async () => {
    const registry = new SqliteRegistry({ path: ':memory:' });
    await registry.close();
    const error = await rejection(registry.getComponent('a'));
    expect(error.message).toBe('Registry is closed.');
    await rejection(registry.putComponents([]));
  });

  it('reports a file it cannot open as a StowageError naming the path', () => {
    const path = join(dir, 'missing-folder', 'registry.db');
    let error: unknown;
    try {
      new SqliteRegistry({ path });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StowageError);
    expect((error as StowageError).details).toMatchObject({ operation: 'open', path });
  });
});

describe('migrations', () => {
  const addNotes = (db: Database.Database) => db.exec('CREATE TABLE notes (text TEXT)');

  it('brings an older database up to date and keeps its data', () => {
    const db = new Database(':memory:');
    try {
      expect(migrate(db, MIGRATIONS)).toBe(MIGRATIONS.length);
      db.prepare(
        "INSERT INTO components (id, name, kind, file_type, size) VALUES ('a', 'a', 'file', '', 0)",
      ).run();
      expect(migrate(db, [...MIGRATIONS, addNotes])).toBe(MIGRATIONS.length + 1);
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length + 1);
      expect(db.prepare('SELECT id FROM components').all()).toEqual([{ id: 'a' }]);
      db.prepare("INSERT INTO notes VALUES ('x')").run();
      // Nothing left to do: the steps do not run twice.
      expect(migrate(db, [...MIGRATIONS, addNotes])).toBe(MIGRATIONS.length + 1);
    } finally {
      db.close();
    }
  });

  it('a failing step rolls back every step of that run', () => {
    const db = new Database(':memory:');
    try {
      const failing = () => {
        throw new Error('step failed');
      };
      expect(() => migrate(db, [...MIGRATIONS, addNotes, failing])).toThrow('step failed');
      expect(db.pragma('user_version', { simple: true })).toBe(0);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('refuses a database from a newer version of the package', () => {
    const path = newPath();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    let error: unknown;
    try {
      new SqliteRegistry({ path });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StowageError);
    expect((error as StowageError).details).toMatchObject({
      schemaVersion: 99,
      supported: MIGRATIONS.length,
    });
  });
});
