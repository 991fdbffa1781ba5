export { sanitiseForFilesystem } from './sanitise.js';
export {
  DEFAULT_ILLEGAL_CHARACTER_SUBSTITUTE,
  StandardStructure,
  type StandardStructureOptions,
} from './standard-structure.js';
