import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { availabilityByLocation, newProject, stowage, stowageSync } from './helpers.js';

// Eight processes adding the same component to the same location at once
// (issue: reliability): exactly one wins, the others are refused with
// ComponentInLocationError or LocationError, and no file is torn.
const PROCESSES = 8;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe(`${PROCESSES} processes transferring the same component at once`, () => {
  it.each([
    ['a 48 MiB file', 'file'],
    ['a 60-frame sequence', 'sequence'],
  ])(
    '%s: one transfer wins, the others are refused, nothing is torn',
    async (_label, kind) => {
      const dir = await newProject('stowage-race-');
      const source = join(dir, `source-${kind}`);
      await mkdir(source);
      const hashes = new Map<string, string>();
      let publishArg: string;
      if (kind === 'file') {
        const data = randomBytes(48 * 1024 * 1024);
        await writeFile(join(source, 'big.bin'), data);
        hashes.set('big.bin', sha256(data));
        publishArg = join(source, 'big.bin');
      } else {
        for (let frame = 1; frame <= 60; frame++) {
          const name = `plate.${String(frame).padStart(4, '0')}.exr`;
          const data = randomBytes(256 * 1024);
          await writeFile(join(source, name), data);
          hashes.set(name, sha256(data));
        }
        publishArg = join(source, 'plate.%04d.exr [1-60]');
      }
      const published = stowageSync(dir, 'publish', publishArg, '--location', 'local', '--json');
      expect(published.code, published.stderr).toBe(0);
      const id = (JSON.parse(published.stdout) as { id: string }).id;

      const results = await Promise.all(
        Array.from({ length: PROCESSES }, () => stowage(dir, 'transfer', id, '--to', 'studio', '--json')),
      );
      const winners = results.filter((result) => result.code === 0);
      const losers = results.filter((result) => result.code !== 0);
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(PROCESSES - 1);
      for (const loser of losers) {
        expect(loser.stderr).toMatch(/ComponentInLocationError|LocationError|already/);
      }
      expect(availabilityByLocation(dir, id).studio).toBe(100);

      // Every file at the target is whole and identical to its source; no temp files are left.
      const stored = await filesUnder(join(dir, 'studio'));
      expect(stored).toHaveLength(hashes.size);
      const storedHashes = await Promise.all(stored.map(async (path) => sha256(await readFile(path))));
      expect(new Set(storedHashes)).toEqual(new Set(hashes.values()));
    },
    120_000,
  );
});
