import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// A real S3 server (versitygw, or STOWAGE_TEST_S3_*), started once for the whole run (test/global-setup.ts).
export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: { globalSetup: ['test/global-setup.ts'] },
  }),
);
