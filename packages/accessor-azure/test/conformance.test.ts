import { ALL_CASES, describeAccessorConformance, listConformanceCases } from '@stowage/conformance';
import { expect, it } from 'vitest';
import { AzureBlobAccessor } from '../src/index.js';
import { randomPrefix, testOptions } from './helpers.js';

// The shared suite against Azurite, under a prefix of its own. Nothing is
// narrowed: every case the accessor's capabilities allow is registered.
const prefix = randomPrefix();

describeAccessorConformance('AzureBlobAccessor (Azurite)', {
  create: () => new AzureBlobAccessor({ ...testOptions(), prefix }),
});

it('registers every case except those for real directories and symlinks', () => {
  const accessor = new AzureBlobAccessor({ ...testOptions(), prefix });
  const cases = listConformanceCases(accessor.capabilities, {
    openRead: typeof accessor.openRead === 'function',
  });
  const left = ALL_CASES.map((testCase) => testCase.name).filter((name) => !cases.includes(name));
  // Marker containers: a file and a virtual folder may share a name in a
  // blob store, so the 'real'-directory cases do not apply; no symlinks exist.
  for (const name of left)
    expect(name).toMatch(
      /symlink|without recursive needs the parent|listing a file|removeContainer of a file|makeContainer over a file/,
    );
  expect(cases.length).toBeGreaterThan(90);
  expect(cases).toContain('openRead: the bytes and the stat of a small file and of a multi-chunk one');
  console.log(`conformance: ${cases.length} of ${ALL_CASES.length} cases registered`);
});
