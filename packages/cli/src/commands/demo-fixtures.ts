import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Small deterministic fixtures for `stowage demo` outside a checkout. */
export async function writeDemoFixtures(dir: string): Promise<string> {
  await mkdir(join(dir, 'plates'), { recursive: true });
  await mkdir(join(dir, 'lookdev'), { recursive: true });
  await writeFile(join(dir, 'shot010_notes.txt'), 'Shot 010: hero plate, 48 frames, 1001-1048.\n');
  for (let frame = 1001; frame <= 1048; frame++) {
    const block = createHash('sha256').update(`plate-${frame}`).digest();
    await writeFile(join(dir, 'plates', `shot010_plate.${frame}.exr`), Buffer.concat(Array(256).fill(block)));
  }
  await writeFile(join(dir, 'lookdev', 'turntable.json'), '{"asset":"robot","frames":48}\n');
  await writeFile(join(dir, 'lookdev', 'readme.txt'), 'Look development package.\n');
  return dir;
}
