export { type CaseContext, type ConformanceCase, md5, rejectsWith, sha256, testBytes } from './context.js';
export {
  type FaultCampaignOptions,
  type FaultCampaignReport,
  type FaultCampaignRun,
  runFaultCampaign,
} from './fault-campaign.js';
export { describeResumeConformance, type ResumeSuiteOptions } from './resume.js';
export {
  ALL_CASES,
  type ConformanceOptions,
  describeAccessorConformance,
  listConformanceCases,
} from './suite.js';
