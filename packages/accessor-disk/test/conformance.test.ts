import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAccessorConformance, listConformanceCases } from '@stowage/conformance';
import { expect, it } from 'vitest';
import { DiskAccessor } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'stowage-disk-conformance-'));

describeAccessorConformance('DiskAccessor', {
  create: () => new DiskAccessor({ prefix: root }),
  filesystemRoot: root,
});

it('runs 100+ conformance cases against the disk accessor', () => {
  const cases = listConformanceCases(new DiskAccessor({ prefix: root }).capabilities, {
    filesystemRoot: root,
    openRead: true,
  });
  expect(cases.length).toBeGreaterThanOrEqual(100);
  expect(cases).toContain('openRead of a container: AccessorResourceInvalidError');
});
