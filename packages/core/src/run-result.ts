import type { RunError } from './run-error.js';
import type { ToolCallRecord } from './trace.js';

/** What every run result carries. */
export interface RunResultBase {
  /** Id of the run. */
  readonly executionId: string;
  /** Captured stdout (at most `maxOutputBytes` together with stderr). */
  readonly stdout: string;
  /** Captured stderr. */
  readonly stderr: string;
  /** Whether output past `maxOutputBytes` was dropped. */
  readonly outputTruncated: boolean;
  /** Every tool call of the run, in the order they started. */
  readonly toolCalls: readonly ToolCallRecord[];
  /** Wall time of the run in milliseconds, measured by `runCode`. */
  readonly durationMs: number;
}

/** The code ran to completion. */
export interface RunSuccess extends RunResultBase {
  readonly type: 'success';
  /** The returned value, decoded from JSON; `undefined` when the code returned nothing. */
  readonly value: unknown;
}

/** The code failed; see `RunError` for the codes. */
export interface RunFailure extends RunResultBase {
  readonly type: 'error';
  /** What went wrong. */
  readonly error: RunError;
}

/** The outcome of `runCode`. Guest failures are results, never exceptions. */
export type RunResult = RunSuccess | RunFailure;
