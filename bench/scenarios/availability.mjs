// Scenario 5: availability of a 10,000-frame sequence (MemoryRegistry and
// SqliteRegistry, file-backed), and registering it in one transaction. Target < 20 ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, report, timeRuns, writeResults } from '../lib.mjs';

const { MemoryRegistry } = await import('../../packages/core/dist/index.js');
const { SqliteRegistry } = await import('../../packages/registry-sqlite/dist/index.js');

const FRAMES = 10_000;

function records() {
  const components = [
    {
      id: 'seq',
      name: 'plate',
      kind: 'sequence',
      fileType: '.exr',
      size: FRAMES,
      padding: 4,
      containerId: null,
    },
  ];
  const locations = [];
  for (let i = 0; i < FRAMES; i++) {
    components.push({
      id: `f${i}`,
      name: String(i).padStart(4, '0'),
      kind: 'file',
      fileType: '.exr',
      size: 1,
      containerId: 'seq',
    });
    if (i % 10 !== 0)
      locations.push({ componentId: `f${i}`, locationId: 'studio', resourceIdentifier: `plate.${i}.exr` });
  }
  return { components, locations };
}

export async function run() {
  const results = [];
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-registry-'));
  try {
    for (const [label, make] of [
      ['MemoryRegistry', () => new MemoryRegistry()],
      ['SqliteRegistry', () => new SqliteRegistry({ path: join(dir, `r-${Date.now()}.db`) })],
    ]) {
      const registry = make();
      const { components, locations } = records();
      const start = process.hrtime.bigint();
      await registry.putComponents(components);
      await registry.addComponentLocations(locations);
      const registerMs = Number(process.hrtime.bigint() - start) / 1e6;
      const availability = await registry.getAvailabilities(['seq'], ['studio', 'archive']);
      if (availability.seq.studio !== 90)
        throw new Error(`wrong availability ${JSON.stringify(availability)}`);
      const times = await timeRuns(50, () => registry.getAvailabilities(['seq'], ['studio', 'archive']));
      const ms = median(times);
      report(results, { scenario: `${label}: register ${FRAMES} frames`, stowageMs: registerMs });
      report(results, {
        scenario: `${label}: availability of ${FRAMES} frames`,
        stowageMs: ms,
        note: ms < 20 ? 'target < 20 ms: MET' : 'target < 20 ms: MISSED',
      });
      await registry.close();
    }
    writeResults('availability', results);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
