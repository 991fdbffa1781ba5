export { IdStructure, type IdStructureOptions, sequenceExpression } from './id-structure.js';
