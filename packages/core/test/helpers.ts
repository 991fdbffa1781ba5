import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComponentRecord, Structure } from '../src/index.js';

/** A readable structure for tests: `<name><fileType>` by id, members inside their container. */
export class TestStructure implements Structure {
  getResourceIdentifier(component: ComponentRecord): string {
    if (component.container) {
      const container = component.container;
      if (container.kind === 'sequence') return `${container.id}/file.${component.name}${component.fileType}`;
      return `${container.id}/${component.name}${component.fileType}`;
    }
    if (component.kind === 'sequence') {
      return `${component.id}/file.%0${component.padding ?? 0}d${component.fileType}`;
    }
    return `${component.id}${component.fileType}`;
  }
}

export async function tempDir(prefix = 'stowage-core-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Write `count` frames `name.%04d.exr` of `size` bytes each; returns the folder. */
export async function writeFrames(dir: string, count: number, size = 1024, start = 1): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (let frame = start; frame < start + count; frame++) {
    const data = Buffer.alloc(size, frame % 251);
    await writeFile(join(dir, `plate.${String(frame).padStart(4, '0')}.exr`), data);
  }
  return dir;
}
