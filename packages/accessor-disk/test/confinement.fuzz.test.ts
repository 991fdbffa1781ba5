import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessorResourceIdentifierError } from '@stowage/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DiskAccessor } from '../src/index.js';

const pieces = fc.constantFrom(
  '/',
  '.',
  '..',
  '\\',
  'C:',
  'x',
  'sibling',
  ' ',
  '\u0000',
  '\n',
  '%2e%2e',
  '~',
);
const hostile = fc.array(pieces, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));

describe('DiskAccessor confinement under fuzzing', () => {
  it('writes either land inside the root or are refused before touching the disk', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'stowage-disk-fuzz-'));
    const root = join(parent, 'root');
    // A sibling whose name shares the root's prefix: nothing may ever appear in it.
    await mkdir(join(parent, 'root2'));
    await mkdir(root);
    const accessor = new DiskAccessor({ prefix: root });
    let written = 0;
    await fc.assert(
      fc.asyncProperty(hostile, async (identifier) => {
        try {
          await accessor.write(identifier, Buffer.from('x'), { overwrite: true });
          written++;
        } catch (error) {
          // Refused identifiers, or ordinary errors (a file where a folder is needed) inside the root.
          if (!(error instanceof AccessorResourceIdentifierError)) {
            expect((error as Error).name).toMatch(/^Accessor/);
          }
        }
      }),
      { numRuns: 400 },
    );
    expect(written).toBeGreaterThan(0);
    expect(await readdir(parent)).toEqual(['root', 'root2']);
    expect(await readdir(join(parent, 'root2'))).toEqual([]);
  });
});
