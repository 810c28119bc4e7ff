export { SubprocessSandbox, createSubprocessSandbox } from './subprocess-sandbox.js';
export type { SubprocessSandboxSettings } from './subprocess-sandbox.js';
export { bubblewrapArgs } from './launcher.js';
export { seccompFilter } from './seccomp-filter.js';
export type { SeccompFilterOptions } from './seccomp-filter.js';
export type {
  BubblewrapOptions,
  SubprocessCommandLauncher,
  SubprocessJailSettings,
  SubprocessLaunchCommand,
  SubprocessLaunchSpec,
  SubprocessLauncher,
} from './launcher.js';
export type { SubprocessPoolSettings } from './worker-pool.js';
// The runner programs moved to @codecall/runner; their paths stay exported here for launcher authors.
export { nodeRunnerPath, pythonRunnerPath, readRunnerSource, runnerDirectory } from '@codecall/runner';
