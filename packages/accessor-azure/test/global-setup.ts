import { setupBackends } from '../../../tools/backends/index.mjs';

/** Start Azurite's blob service; its STOWAGE_TEST_AZURE_* vars reach the test workers. */
export default function setup(): Promise<() => Promise<void>> {
  return setupBackends('azure');
}
