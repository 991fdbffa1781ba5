import { readFileSync } from 'node:fs';
import { type ComponentRecord, StructureError } from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { IdStructure } from '../src/index.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../../../shared/test-vectors/structure-id.json', import.meta.url), 'utf8'),
) as {
  cases: Array<{
    name: string;
    options: { prefix?: string };
    component: ComponentRecord;
    expected?: string;
    error?: string;
  }>;
};

describe('IdStructure vectors', () => {
  for (const vector of vectors.cases) {
    it(vector.name, () => {
      const structure = new IdStructure(vector.options);
      if (vector.error)
        expect(() => structure.getResourceIdentifier(vector.component)).toThrow(StructureError);
      else expect(structure.getResourceIdentifier(vector.component)).toBe(vector.expected);
    });
  }
});

describe('IdStructure', () => {
  const id = 'f6cd40cb-d1c0-469f-a2d5-10369be8a724';
  it('works without a prefix', () => {
    expect(new IdStructure().getResourceIdentifier({ id, name: 'x', kind: 'file', fileType: '' })).toBe(
      'f/6/c/d/40cb-d1c0-469f-a2d5-10369be8a724',
    );
  });

  it('rejects nested containers and ids that are too short', () => {
    const outer: ComponentRecord = { id: '03ab9967-f86c', name: 'outer', kind: 'container', fileType: '' };
    const inner: ComponentRecord = {
      id: '13ab9967-f86c',
      name: 'inner',
      kind: 'container',
      fileType: '',
      container: outer,
    };
    expect(() => new IdStructure().getResourceIdentifier(inner)).toThrow(StructureError);
    expect(() =>
      new IdStructure().getResourceIdentifier({ id: 'abc', name: 'x', kind: 'file', fileType: '' }),
    ).toThrow(StructureError);
  });

  it('puts sequence members beside the sequence expression', () => {
    const sequence: ComponentRecord = { id, name: 'plate', kind: 'sequence', fileType: '.exr', padding: 4 };
    const structure = new IdStructure({ prefix: 'p' });
    const sequencePath = structure.getResourceIdentifier(sequence);
    const memberPath = structure.getResourceIdentifier({
      id: 'm-1234',
      name: '1001',
      kind: 'file',
      fileType: '.exr',
      container: sequence,
    });
    expect(sequencePath).toBe('p/f/6/c/d/40cb-d1c0-469f-a2d5-10369be8a724/file.%04d.exr');
    expect(memberPath).toBe('p/f/6/c/d/40cb-d1c0-469f-a2d5-10369be8a724/file.1001.exr');
  });
});
