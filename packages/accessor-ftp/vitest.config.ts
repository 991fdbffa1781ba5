import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Real proftpd and vsftpd, started once for the whole run (test/global-setup.ts).
export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: { globalSetup: ['test/global-setup.ts'] },
  }),
);
