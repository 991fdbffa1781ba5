import { describeAccessorConformance, listConformanceCases } from '@stowage/conformance';
import { expect, it } from 'vitest';
import { MemoryAccessor } from '../src/index.js';

describeAccessorConformance('MemoryAccessor', { create: () => new MemoryAccessor() });

it('runs 90+ conformance cases against the memory accessor', () => {
  expect(listConformanceCases(new MemoryAccessor().capabilities).length).toBeGreaterThanOrEqual(90);
});
