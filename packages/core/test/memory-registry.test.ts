import { MemoryRegistry } from '../src/index.js';
import { describeRegistryContract } from '../src/testing.js';

describeRegistryContract('MemoryRegistry', { create: () => new MemoryRegistry() });
