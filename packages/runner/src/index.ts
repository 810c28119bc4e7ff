export { RunnerSession, describeRunnerExit, runnerMaxLineBytes, runnerRuntimeOf } from './runner-session.js';
export type { RunnerExit, RunnerRuntime, RunnerSessionOutcome, RunnerSessionSettings } from './runner-session.js';
export { defaultRehearsalCalls, isRehearsalPassed, rehearsalRequest } from './runner-rehearsal.js';
export type { RehearsalRequestOptions } from './runner-rehearsal.js';
export { nodeRunnerPath, pythonRunnerPath, readRunnerSource, runnerDirectory, runnerShellCommand } from './runner-files.js';
export type { RunnerShellCommandOptions } from './runner-files.js';
export {
  JsonLinesDecoder,
  RunnerLineTooLongError,
  checkRunnerMessageShape,
  encodeRunnerMessage,
  parseRunnerMessage,
  runnerMessageBounds,
  runnerProtocolVersion,
} from './runner-protocol.js';
export type {
  HostToRunnerMessage,
  JsonLinesDecoderSettings,
  RunnerCallMessage,
  RunnerDoneMessage,
  RunnerErrorMessage,
  RunnerFatalMessage,
  RunnerIdleMessage,
  RunnerOutputMessage,
  RunnerProtocolViolation,
  RunnerReadyMessage,
  RunnerResultMessage,
  RunnerStartMessage,
  RunnerToHostMessage,
  RunnerToolDescriptor,
} from './runner-protocol.js';
