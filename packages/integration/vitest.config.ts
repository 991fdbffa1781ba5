import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Real Versity S3 gateway and Azurite, started once for the run (test/global-setup.ts).
export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: { globalSetup: ['test/global-setup.ts'] },
  }),
);
