export { describeSandboxConformance } from './describe-sandbox-conformance.js';
export type { SandboxConformanceOptions } from './describe-sandbox-conformance.js';
export { conformanceCases } from './conformance-cases.js';
export type {
  ConformanceArea,
  ConformanceCase,
  ConformanceCaseContext,
  ConformanceRequirements,
  ConformanceRunOptions,
} from './conformance-case.js';
export { planConformanceTests } from './plan-conformance-tests.js';
export type { ConformancePlan, ConformancePlanOptions, PlannedTest, PlannedTestMode } from './plan-conformance-tests.js';
