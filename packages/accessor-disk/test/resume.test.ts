import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeResumeConformance } from '@stowage/conformance';
import { afterAll } from 'vitest';

// The child process imports the built accessor: `npm test` builds first.
const root = mkdtempSync(join(tmpdir(), 'stowage-disk-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeResumeConformance('disk', {
  accessorModule: fileURLToPath(new URL('../dist/index.js', import.meta.url)),
  accessorExport: 'DiskAccessor',
  accessorOptions: { prefix: root },
});
