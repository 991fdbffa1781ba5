import { describeAccessorConformance, listConformanceCases } from '@stowage/conformance';
import { expect, it } from 'vitest';
import { MemoryAccessor } from '../src/index.js';

// The memory accessor keeps what it stores in this process: no memory case.
describeAccessorConformance('MemoryAccessor', { create: () => new MemoryAccessor(), memoryBudget: null });

it('runs 90+ conformance cases against the memory accessor', () => {
  expect(listConformanceCases(new MemoryAccessor().capabilities).length).toBeGreaterThanOrEqual(90);
});
