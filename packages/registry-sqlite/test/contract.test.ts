import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRegistryContract } from '@stowage/core/testing';
import { afterAll } from 'vitest';
import { SqliteRegistry } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-sqlite-contract-'));
let counter = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeRegistryContract('SqliteRegistry (file)', {
  create: () => new SqliteRegistry({ path: join(dir, `r${counter++}.db`) }),
});
describeRegistryContract('SqliteRegistry (:memory:)', {
  create: () => new SqliteRegistry({ path: ':memory:' }),
});
