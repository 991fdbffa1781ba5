import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Packages import each other by name; in tests we resolve those names to the
// TypeScript sources so no build is needed before `vitest run`.
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

export const sharedConfig = defineConfig({
  resolve: {
    alias: [
      { find: /^@stowage\/([^/]+)$/, replacement: `${packagesDir}$1/src/index.ts` },
      { find: /^@stowage\/([^/]+)\/(.+)$/, replacement: `${packagesDir}$1/src/$2.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Resumable uploads in tests keep their checkpoints out of the user's cache.
    env: { STOWAGE_CHECKPOINT_DIR: join(tmpdir(), `stowage-test-checkpoints-${process.pid}`) },
  },
});
