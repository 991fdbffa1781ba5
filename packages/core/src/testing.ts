export { describeRegistryContract, type RegistryContractOptions } from './testing/registry-contract.js';
