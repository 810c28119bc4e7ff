export { SubprocessSandbox, createSubprocessSandbox } from './subprocess-sandbox.js';
export type { SubprocessSandboxSettings } from './subprocess-sandbox.js';
export { bubblewrapArgs } from './launcher.js';
export type {
  SubprocessCommandLauncher,
  SubprocessJailSettings,
  SubprocessLaunchCommand,
  SubprocessLaunchSpec,
  SubprocessLauncher,
} from './launcher.js';
export type { SubprocessPoolSettings } from './worker-pool.js';
export { nodeRunnerPath, pythonRunnerPath, readRunnerSource, runnerDirectory, runnerShellCommand } from './runner-files.js';
export type { RunnerShellCommandOptions } from './runner-files.js';
export {
  JsonLinesDecoder,
  encodeRunnerMessage,
  parseRunnerMessage,
  runnerProtocolVersion,
} from './runner-protocol.js';
export type {
  HostToRunnerMessage,
  JsonLinesDecoderSettings,
  RunnerCallMessage,
  RunnerDoneMessage,
  RunnerErrorMessage,
  RunnerFatalMessage,
  RunnerOutputMessage,
  RunnerProtocolViolation,
  RunnerReadyMessage,
  RunnerResultMessage,
  RunnerStartMessage,
  RunnerToHostMessage,
  RunnerToolDescriptor,
} from './runner-protocol.js';
