export { describeRunnerSuite, executeHostile } from './describe-runner-suite.js';
export type { HostileRunOutcome, RunnerSuiteOptions } from './describe-runner-suite.js';
