import { readFileSync } from 'node:fs';
import { type ComponentRecord, StructureError } from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { StandardStructure, sanitiseForFilesystem } from '../src/index.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../../../shared/test-vectors/structure-standard.json', import.meta.url), 'utf8'),
) as {
  cases: Array<{
    name: string;
    options: { projectVersionsPrefix?: string; illegalCharacterSubstitute?: string | null };
    component: ComponentRecord;
    expected?: string | null;
    error?: string;
  }>;
};

describe('StandardStructure vectors', () => {
  for (const vector of vectors.cases) {
    it(vector.name, () => {
      const structure = new StandardStructure(vector.options);
      if (vector.error)
        expect(() => structure.getResourceIdentifier(vector.component)).toThrow(StructureError);
      else expect(structure.getResourceIdentifier(vector.component)).toBe(vector.expected);
    });
  }
});

describe('StandardStructure', () => {
  const version = { project: 'Feature Film', ancestors: ['SQ010', 'SH 010'], asset: 'Plate', number: 12 };

  it('sanitises every part and formats the version', () => {
    const path = new StandardStructure().getResourceIdentifier({
      id: 'x',
      name: 'Main Plate',
      kind: 'sequence',
      fileType: '.EXR',
      padding: 0,
      version,
    });
    expect(path).toBe('feature_film/sq010/sh_010/plate/v012/main_plate.%d.exr');
  });

  it('uses the container version for members without one', () => {
    const container: ComponentRecord = {
      id: 'c',
      name: 'textures',
      kind: 'container',
      fileType: '',
      version,
    };
    expect(
      new StandardStructure().getResourceIdentifier({
        id: 'm',
        name: 'albedo',
        kind: 'file',
        fileType: '.png',
        container,
      }),
    ).toBe('feature_film/sq010/sh_010/plate/v012/textures/albedo.png');
  });

  it('raises StructureError for nested containers and incomplete versions', () => {
    const outer: ComponentRecord = { id: 'o', name: 'outer', kind: 'container', fileType: '', version };
    const inner: ComponentRecord = {
      id: 'i',
      name: 'inner',
      kind: 'container',
      fileType: '',
      container: outer,
      version,
    };
    expect(() =>
      new StandardStructure().getResourceIdentifier({
        id: 'f',
        name: 'f',
        kind: 'file',
        fileType: '',
        container: inner,
      }),
    ).toThrow(StructureError);
    expect(() =>
      new StandardStructure().getResourceIdentifier({
        id: 'f',
        name: 'f',
        kind: 'file',
        fileType: '',
        version: { project: 'p', ancestors: [], asset: '', number: 1 },
      }),
    ).toThrow(/must be attached to a version/);
  });

  it('sanitiseForFilesystem follows ftrack', () => {
    expect(sanitiseForFilesystem('Björn Ärlig!')).toBe('bjorn_arlig_');
    expect(sanitiseForFilesystem('ﬁle', '_')).toBe('file'); // NFKD splits the ligature
    // Substitution comes before trimming, as ftrack: spaces become substitutes.
    expect(sanitiseForFilesystem('  Äb  ', '-')).toBe('--ab--');
    expect(sanitiseForFilesystem('Björn', null)).toBe('Björn');
  });
});
