import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// Drives the built binary, as a user would (npm test builds it first).
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const fixtures = fileURLToPath(new URL('../../../test-fixtures/', import.meta.url));

function stowage(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, STOWAGE_PLUGIN_PATH: '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json<T = Record<string, unknown>>(output: {
  stdout: string;
  code: number | null;
  stderr: string;
}): T {
  expect(output.stderr).not.toMatch(/stowage: /);
  expect(output.code).toBe(0);
  return JSON.parse(output.stdout) as T;
}

describe('stowage CLI (end to end)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stowage-cli-'));
    await writeFile(
      join(dir, 'stowage.config.json'),
      JSON.stringify({
        registry: 'db/registry.db',
        locations: [
          {
            name: 'local',
            priority: 10,
            accessor: { type: 'disk', prefix: 'local' },
            structure: { type: 'id' },
          },
          {
            name: 'archive',
            priority: 20,
            accessor: { type: 'disk', prefix: '${STOWAGE_E2E_ARCHIVE:-archive}' },
            structure: { type: 'standard' },
          },
        ],
      }),
    );
  });

  it('publishes, transfers, reports availability, verifies and removes a sequence', async () => {
    const published = json<{ id: string; kind: string; members: number }>(
      stowage(
        dir,
        'publish',
        join(fixtures, 'plates', 'shot010_plate.%04d.exr [1001-1048]'),
        '--location',
        'local',
        '--name',
        'plate',
        '--version-context',
        'Demo/sq010/shot010/plate/v002',
        '--json',
      ),
    );
    expect(published.kind).toBe('sequence');
    expect(published.members).toBe(48);
    const id = published.id;

    const transferred = json<{ from: string; to: string; bytes: number }>(
      stowage(dir, 'transfer', id, '--to', 'archive', '--checksums', '--json'),
    );
    expect(transferred).toMatchObject({ from: 'local', to: 'archive', bytes: 48 * 8192 });

    const availability = json<{ locations: Array<{ location: string; availability: number }> }>(
      stowage(dir, 'availability', id, '--json'),
    );
    expect(availability.locations).toEqual([
      { location: 'local', availability: 100, missingFrames: '' },
      { location: 'archive', availability: 100, missingFrames: '' },
    ]);

    const archived = await readdir(join(dir, 'archive', 'demo', 'sq010', 'shot010', 'plate', 'v002'));
    expect(archived).toHaveLength(48);
    expect(archived).toContain('plate.1001.exr');

    const table = stowage(dir, 'availability', id);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/archive\s+100%/);

    const ok = stowage(dir, 'verify', id, '--location', 'archive');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('verified 48 file(s)');

    await unlink(join(dir, 'archive', 'demo', 'sq010', 'shot010', 'plate', 'v002', 'plate.1007.exr'));
    const broken = stowage(dir, 'verify', id, '--location', 'archive');
    expect(broken.code).toBe(3);
    expect(broken.stdout).toMatch(/missing: 1007/);
    expect(broken.stdout).toMatch(/missing frames: 1007/);
    await writeFile(
      join(dir, 'archive', 'demo', 'sq010', 'shot010', 'plate', 'v002', 'plate.1008.exr'),
      'truncated',
    );
    const corrupt = stowage(dir, 'verify', id, '--location', 'archive', '--json');
    expect(corrupt.code).toBe(3);
    expect(JSON.parse(corrupt.stdout)).toMatchObject({
      checked: 48,
      sizeMismatches: [{ name: '1008', expected: 8192, actual: 9 }],
    });
    // Same size, other bytes: only --checksums (MD5 recorded at transfer time, in SQLite) finds it.
    await writeFile(
      join(dir, 'archive', 'demo', 'sq010', 'shot010', 'plate', 'v002', 'plate.1009.exr'),
      Buffer.alloc(8192, 0x5a),
    );
    const sizesOnly = stowage(dir, 'verify', id, '--location', 'archive', '--json');
    expect(sizesOnly.code).toBe(3);
    expect(
      (JSON.parse(sizesOnly.stdout) as { sizeMismatches: Array<{ name: string }> }).sizeMismatches.map(
        (entry) => entry.name,
      ),
    ).toEqual(['1008']);
    const deep = stowage(dir, 'verify', id, '--location', 'archive', '--checksums');
    expect(deep.code).toBe(3);
    expect(deep.stdout).toMatch(/corrupt: 1009 .*MD5/);
    expect(deep.stdout).toMatch(/corrupt: 1008 /);
    expect(deep.stdout).not.toMatch(/without a checksum/);

    const again = stowage(dir, 'transfer', id, '--to', 'archive');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ComponentInLocationError/);
    expect(again.stderr.trim().split('\n')).toHaveLength(2); // one-line error + hint

    const listing = stowage(dir, 'ls', 'local');
    expect(listing.code).toBe(0);
    expect(listing.stdout.trim().split('\n').length).toBeGreaterThan(0);

    // A missing frame file fails removal loudly (ftrack: only sequences ignore missing data).
    const removeLocal = stowage(dir, 'remove', id, '--location', 'local');
    expect(removeLocal.code).toBe(0);
    const after = json<{ locations: Array<{ location: string; availability: number }> }>(
      stowage(dir, 'availability', id, '--json'),
    );
    expect(after.locations[0]).toMatchObject({ location: 'local', availability: 0 });
    expect(after.locations[1]!.availability).toBeGreaterThan(0);
  });

  it('publishes a file and a folder (container)', () => {
    const file = json<{ kind: string; size: number }>(
      stowage(dir, 'publish', join(fixtures, 'shot010_notes.txt'), '--json'),
    );
    expect(file.kind).toBe('file');
    const folder = json<{ kind: string; members: number }>(
      stowage(dir, 'publish', join(fixtures, 'lookdev'), '--json'),
    );
    expect(folder).toMatchObject({ kind: 'container', members: 3 });
  });

  it('fails with one line and a hint on bad input', async () => {
    const unknown = stowage(dir, 'transfer', '00000000-0000-0000-0000-000000000000', '--to', 'nowhere');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No location named "nowhere"/);
    expect(unknown.stderr).toMatch(/hint:/);

    const missing = stowage(dir, 'publish', join(dir, 'does-not-exist.exr'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot read/);

    const bad = await mkdtemp(join(tmpdir(), 'stowage-cli-bad-'));
    await writeFile(
      join(bad, 'stowage.config.json'),
      JSON.stringify({ locations: [{ name: 'x', accessor: { type: 'tape' } }] }),
    );
    const invalid = stowage(bad, 'locations');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/Invalid config .*locations\.0\.accessor\.type/);

    await writeFile(join(bad, 'stowage.config.json'), '{ not json');
    expect(stowage(bad, 'locations').stderr).toMatch(/Cannot parse/);

    await writeFile(
      join(bad, 'stowage.config.json'),
      JSON.stringify({
        locations: [{ name: 'x', accessor: { type: 'disk', prefix: '${STOWAGE_E2E_UNSET_VAR}' } }],
      }),
    );
    const env = stowage(bad, 'locations');
    expect(env.code).toBe(1);
    expect(env.stderr).toMatch(/STOWAGE_E2E_UNSET_VAR/);

    const usage = stowage(dir, 'transfer', 'abc');
    expect(usage.code).toBe(2);
  });

  it('runs on the embedded default with no config', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'stowage-cli-default-'));
    const locations = json<{ config: null; locations: Array<{ name: string }> }>(
      stowage(empty, 'locations', '--json'),
    );
    expect(locations.config).toBeNull();
    expect(locations.locations.map((location) => location.name)).toContain('local');
    const published = json<{ location: string }>(
      stowage(empty, 'publish', join(fixtures, 'shot010_notes.txt'), '--json'),
    );
    expect(published.location).toBe('local');
    expect(await readdir(join(empty, '.stowage'))).toEqual(expect.arrayContaining(['local', 'registry.db']));
  });

  it('runs the demo', async () => {
    const demoDir = await mkdtemp(join(tmpdir(), 'stowage-demo-'));
    const demo = stowage(demoDir, 'demo', '--dir', join(demoDir, 'tour'));
    expect(demo.stderr).not.toMatch(/stowage: /);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/published sequence/);
    expect(demo.stdout).toMatch(/archive\s+100%/);
    expect(demo.stdout).toMatch(/archive\s+89\.583333333%/);
    expect(demo.stdout).toMatch(/missing: 1020/);
  });
});
