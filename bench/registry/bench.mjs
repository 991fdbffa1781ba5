#!/usr/bin/env node
// Registry benchmark (not a timed test): registering a 10,000-frame sequence
// (members, then component-locations: one transaction each) and the
// availability of that sequence (median of 50 runs), for MemoryRegistry and
// SqliteRegistry (file and :memory:). Target: availability < 20 ms.
// Build first: npx tsc -p tsconfig.build.json in packages/sequence, core,
// registry-sqlite (or npm run build). Run: node bench/registry/bench.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, timeRuns } from '../lib.mjs';

const { MemoryRegistry } = await import('../../packages/core/dist/index.js');
const { SqliteRegistry } = await import('../../packages/registry-sqlite/dist/index.js');

const FRAMES = 10_000;
const REGISTER_RUNS = 7;
const AVAILABILITY_RUNS = 50;
// The "busy" registry also holds 20 other 5,000-frame sequences in the same location.
const OTHER_SEQUENCES = 20;
const OTHER_FRAMES = 5_000;

/** A sequence and its frames; every frame but each tenth is in "studio". */
function sequence(id, frames) {
  const components = [
    { id, name: 'plate', kind: 'sequence', fileType: '.exr', size: frames, padding: 4, containerId: null },
  ];
  const locations = [];
  for (let i = 0; i < frames; i++) {
    const frameId = `${id}-f${i}`;
    components.push({
      id: frameId,
      name: String(i).padStart(4, '0'),
      kind: 'file',
      fileType: '.exr',
      size: 1,
      containerId: id,
    });
    if (i % 10 !== 0)
      locations.push({ componentId: frameId, locationId: 'studio', resourceIdentifier: `plate.${i}.exr` });
  }
  return { components, locations };
}

function ms(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-registry-'));
let files = 0;
const registries = [
  ['MemoryRegistry', () => new MemoryRegistry()],
  ['SqliteRegistry (file)', () => new SqliteRegistry({ path: join(dir, `r${files++}.db`) })],
  ['SqliteRegistry (:memory:)', () => new SqliteRegistry({ path: ':memory:' })],
];

const rows = [];
try {
  for (const [label, create] of registries) {
    // Registration: a fresh registry each run; the first run warms up and is dropped.
    const put = [];
    const add = [];
    for (let run = 0; run <= REGISTER_RUNS; run++) {
      const registry = create();
      const { components, locations } = sequence('seq', FRAMES);
      let start = process.hrtime.bigint();
      await registry.putComponents(components);
      const putMs = ms(start);
      start = process.hrtime.bigint();
      await registry.addComponentLocations(locations);
      const addMs = ms(start);
      if (run > 0) {
        put.push(putMs);
        add.push(addMs);
      }
      await registry.close();
    }

    for (const busy of [false, true]) {
      const registry = create();
      const { components, locations } = sequence('seq', FRAMES);
      await registry.putComponents(components);
      await registry.addComponentLocations(locations);
      if (busy) {
        for (let s = 0; s < OTHER_SEQUENCES; s++) {
          const other = sequence(`other${s}`, OTHER_FRAMES);
          await registry.putComponents(other.components);
          await registry.addComponentLocations(other.locations);
        }
      }
      const check = await registry.getAvailabilities(['seq'], ['studio', 'archive']);
      if (check.seq.studio !== 90 || check.seq.archive !== 0)
        throw new Error(`${label}: wrong availability ${JSON.stringify(check)}`);
      const availability = median(
        await timeRuns(AVAILABILITY_RUNS, () => registry.getAvailabilities(['seq'], ['studio', 'archive'])),
      );
      const members = median(await timeRuns(10, () => registry.getMembers('seq')));
      rows.push({
        registry: label,
        registry_size: busy ? `${FRAMES + OTHER_SEQUENCES * OTHER_FRAMES} frames` : `${FRAMES} frames`,
        'putComponents ms': busy ? '' : median(put).toFixed(1),
        'addComponentLocations ms': busy ? '' : median(add).toFixed(1),
        'availability ms (median of 50)': availability.toFixed(2),
        'getMembers ms': members.toFixed(1),
        'target < 20 ms': availability < 20 ? 'met' : 'MISSED',
      });
      await registry.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `Registering and asking the availability of a ${FRAMES}-frame sequence (9,000 frames in "studio", two locations asked).`,
);
console.table(rows);
