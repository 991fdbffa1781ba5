#!/usr/bin/env node
// Regenerates test-fixtures/: a file, a 48-frame sequence and a container, with
// deterministic bytes (so checksums in docs and tests stay stable).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../test-fixtures/', import.meta.url).pathname;

/** Deterministic pseudo-random bytes from a seed. */
function bytes(seed, size) {
  const out = Buffer.alloc(size);
  let block = Buffer.alloc(0);
  for (let offset = 0, counter = 0; offset < size; offset += block.length, counter++) {
    block = createHash('sha256').update(`${seed}:${counter}`).digest();
    block.copy(out, offset);
  }
  return out;
}

mkdirSync(join(root, 'plates'), { recursive: true });
mkdirSync(join(root, 'lookdev'), { recursive: true });
writeFileSync(
  join(root, 'shot010_notes.txt'),
  'Shot 010: hero plate, 48 frames, 1001-1048.\nApproved for comp.\n',
);
for (let frame = 1001; frame <= 1048; frame++) {
  writeFileSync(join(root, 'plates', `shot010_plate.${frame}.exr`), bytes(`plate-${frame}`, 8 * 1024));
}
writeFileSync(
  join(root, 'lookdev', 'turntable.json'),
  `${JSON.stringify({ asset: 'robot', frames: 48 }, null, 2)}\n`,
);
writeFileSync(join(root, 'lookdev', 'albedo.png'), bytes('albedo', 16 * 1024));
writeFileSync(join(root, 'lookdev', 'readme.txt'), 'Look development package for the robot asset.\n');
console.log(`fixtures written to ${root}`);
