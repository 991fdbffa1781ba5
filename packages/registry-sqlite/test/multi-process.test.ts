import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SqliteRegistry } from '../src/index.js';

// Runs against the built package (npm test builds first): real separate processes.
const writer = new URL('./fixtures/writer.mjs', import.meta.url).pathname;
const run = promisify(execFile);

async function workers(path: string, count: number, mode: 'distinct' | 'race') {
  const outputs = await Promise.all(
    Array.from({ length: 4 }, (_, worker) =>
      run(process.execPath, [writer, path, String(worker), String(count), mode]),
    ),
  );
  return outputs.map((output) => JSON.parse(output.stdout) as { won: number });
}

describe('SqliteRegistry across processes', () => {
  it('4 processes registering 500 distinct component-locations each: all 2,000 land', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stowage-mp-')), 'registry.db');
    new SqliteRegistry({ path }).close();
    const results = await workers(path, 500, 'distinct');
    expect(results.map((result) => result.won)).toEqual([500, 500, 500, 500]);
    const registry = new SqliteRegistry({ path });
    expect(await registry.listComponentIds('studio')).toHaveLength(2000);
    await registry.close();
  }, 120_000);

  it('4 processes racing for the same 200 component-locations: each is won exactly once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stowage-mp-')), 'registry.db');
    new SqliteRegistry({ path }).close();
    const results = await workers(path, 200, 'race');
    expect(results.reduce((total, result) => total + result.won, 0)).toBe(200);
    const registry = new SqliteRegistry({ path });
    expect(await registry.listComponentIds('studio')).toHaveLength(200);
    await registry.close();
  }, 120_000);
});
