export { RunnerSession, describeRunnerExit, runnerRuntimeOf } from './runner-session.js';
export type { RunnerExit, RunnerRuntime, RunnerSessionOutcome, RunnerSessionSettings } from './runner-session.js';
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
