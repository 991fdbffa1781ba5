import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryAccessor, Session } from '@stowage/core';
import { expect, it } from 'vitest';
import { SqliteRegistry } from '../src/index.js';

// The README example, step by step.
it('runs the README example', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'stowage-'));
  const path = join(folder, 'registry.db');
  try {
    const registry = new SqliteRegistry({ path });
    await registry.putComponents([
      { id: 'seq', name: 'plate', kind: 'sequence', fileType: '.exr', size: 30, padding: 4 },
      ...['0001', '0002', '0003'].map((frame) => ({
        id: `seq-${frame}`,
        name: frame,
        kind: 'file' as const,
        fileType: '.exr',
        size: 10,
        containerId: 'seq',
      })),
    ]);
    const { conflicts } = await registry.addComponentLocations([
      { componentId: 'seq-0001', locationId: 'studio', resourceIdentifier: 'plate.0001.exr' },
      { componentId: 'seq-0002', locationId: 'studio', resourceIdentifier: 'plate.0002.exr' },
    ]);
    expect(conflicts).toEqual([]);
    expect(await registry.getAvailabilities(['seq'], ['studio', 'archive'])).toEqual({
      seq: { studio: 66.666666667, archive: 0 },
    });
    await registry.close();

    const session = new Session({ registry: new SqliteRegistry({ path }) });
    const studio = session.createLocation({
      name: 'studio',
      accessor: new MemoryAccessor(),
      structure: { getResourceIdentifier: (component) => `${component.id}${component.fileType}` },
    });
    await writeFile(join(folder, 'notes.txt'), 'first take');
    const notes = await session.createComponent(join(folder, 'notes.txt'), { name: 'notes' }, studio);
    await session.close();

    const again = new SqliteRegistry({ path });
    expect(await again.getAvailabilities([notes.id, 'seq'], ['studio'])).toEqual({
      [notes.id]: { studio: 100 },
      seq: { studio: 66.666666667 },
    });
    expect(await again.getComponent(notes.id)).toMatchObject({
      name: 'notes',
      kind: 'file',
      fileType: '.txt',
    });
    await again.close();
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
