import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// A real Azurite blob service (disk mode), started once for the whole run
// (test/global-setup.ts); STOWAGE_TEST_AZURE_CONNECTION_STRING points the
// tests at another account instead.
export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: { globalSetup: ['test/global-setup.ts'] },
  }),
);
