export { type CaseContext, type ConformanceCase, md5, rejectsWith, sha256, testBytes } from './context.js';
export {
  ALL_CASES,
  type ConformanceOptions,
  describeAccessorConformance,
  listConformanceCases,
} from './suite.js';
