import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteRegistry } from '../src/index.js';
import { ensureBuilt } from './built-package.js';

const writer = new URL('./fixtures/writer.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'stowage-mp-'));

function message<T>(child: ChildProcess, stderr: () => string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`writer exited ${code}: ${stderr()}`));
    child.once('exit', onExit);
    child.once('message', (value) => {
      child.off('exit', onExit);
      resolve(value as T);
    });
  });
}

/** Fork 4 writers, wait until each has opened the registry, then start them together. */
async function writers(path: string, count: number, mode: 'distinct' | 'race'): Promise<string[][]> {
  const children = Array.from({ length: 4 }, (_, worker) => {
    const child = fork(writer, [path, String(worker), String(count), mode], { stdio: 'pipe' });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    return { child, stderr: () => stderr };
  });
  await Promise.all(children.map(({ child, stderr }) => message(child, stderr)));
  const results = children.map(({ child, stderr }) => message<{ won: string[] }>(child, stderr));
  for (const { child } of children) child.send('go');
  return (await Promise.all(results)).map((result) => result.won);
}

async function newRegistryFile(name: string): Promise<string> {
  const path = join(dir, name);
  // Created (and migrated) up front, as a studio's first CLI run would.
  await new SqliteRegistry({ path }).close();
  return path;
}

describe('SqliteRegistry shared by 4 processes on one file', () => {
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('4 processes registering 500 distinct component-locations each: all 2,000 land', async () => {
    const path = await newRegistryFile('distinct.db');
    const won = await writers(path, 500, 'distinct');
    expect(won.map((ids) => ids.length)).toEqual([500, 500, 500, 500]);
    const registry = new SqliteRegistry({ path });
    try {
      const ids = await registry.listComponentIds('studio');
      expect(ids).toHaveLength(2000);
      expect(new Set(ids)).toEqual(new Set(won.flat()));
      expect((await registry.getComponents(ids)).length).toBe(2000);
    } finally {
      await registry.close();
    }
  }, 120_000);

  it('4 processes racing for the same component-locations: each one is won exactly once', async () => {
    const path = await newRegistryFile('race.db');
    const won = await writers(path, 200, 'race');
    const all = won.flat();
    expect(all).toHaveLength(200);
    expect(new Set(all).size).toBe(200);
    const registry = new SqliteRegistry({ path });
    try {
      const records = await registry.getComponentLocations(all, ['studio']);
      expect(records).toHaveLength(200);
      // The stored resource identifier is the winner's.
      for (const record of records) {
        const winner = won.findIndex((ids) => ids.includes(record.componentId));
        expect(record.resourceIdentifier.startsWith(`w${winner}/`)).toBe(true);
      }
    } finally {
      await registry.close();
    }
  }, 120_000);
});
