import type { RunError } from '../run-error.js';

/** Output captured during a run, common to both outcomes. */
export interface SandboxOutputV1 {
  /** What the guest wrote to stdout (`console.log`/`info`/`debug`, `print`), UTF-8. */
  readonly stdout: string;
  /** What the guest wrote to stderr (`console.error`/`warn`, `print(file=sys.stderr)`), UTF-8. */
  readonly stderr: string;
  /** Whether output past `maxOutputBytes` was dropped. */
  readonly outputTruncated: boolean;
}

/**
 * What an adapter reports for one run. Anything the guest caused, including timeouts, memory
 * exhaustion and crashes of the guest's process, is reported here; `execute` rejects only for host
 * faults (with a `SandboxError`).
 */
export type SandboxExecuteResultV1 =
  | (SandboxOutputV1 & {
      readonly type: 'success';
      /**
       * The run's value as JSON text (JSON semantics, see `SandboxToolCallV1.inputJson`);
       * `undefined` when the code returned nothing or `undefined`.
       */
      readonly valueJson: string | undefined;
    })
  | (SandboxOutputV1 & {
      readonly type: 'error';
      /** What went wrong, with the line in the guest's code when known. */
      readonly error: RunError;
    });
