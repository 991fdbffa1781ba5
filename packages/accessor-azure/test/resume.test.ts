import { fileURLToPath } from 'node:url';
import { describeResumeConformance } from '@stowage/conformance';
import { randomPrefix, testOptions } from './helpers.js';

// Kill-and-resume across processes (the child imports dist: build first).
// Small blocks (4 MiB, 2 in flight) so the checkpoint grows in steps of 4 MiB
// and a kill at 60% leaves well under half of the 64 MiB to send again.
describeResumeConformance('AzureBlobAccessor (Azurite)', {
  accessorModule: fileURLToPath(new URL('../dist/index.js', import.meta.url)),
  accessorExport: 'AzureBlobAccessor',
  accessorOptions: {
    ...testOptions(),
    prefix: randomPrefix(),
    blockSize: 4 * 1024 * 1024,
    concurrency: 2,
  },
});
