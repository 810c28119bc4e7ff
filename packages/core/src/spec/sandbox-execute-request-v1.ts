import type { ResolvedLimitsV1 } from './resolved-limits-v1.js';
import type { SandboxEventV1 } from './sandbox-event-v1.js';
import type { SandboxLanguage } from './sandbox-language.js';
import type { SandboxToolCallV1, SandboxToolResultV1 } from './sandbox-tool-call-v1.js';
import type { SandboxToolV1 } from './sandbox-tool-v1.js';
import type { SandboxValidationPolicyV1 } from './sandbox-validation-policy-v1.js';

/** One run of guest code, fully resolved by `runCode`. */
export interface SandboxExecuteRequestV1 {
  /** Unique id of this run, for logs and traces. */
  readonly executionId: string;
  /** Language of `code`; always one of the adapter's `capabilities.languages`. */
  readonly language: SandboxLanguage;
  /**
   * The guest program. It runs as the body of an async function: top-level `await` works and a
   * top-level `return` (or, in Python, a final expression) gives the run's value.
   */
  readonly code: string;
  /** The tools to install as global async functions, in toolset order. */
  readonly tools: readonly SandboxToolV1[];
  /** Limits of this run; the adapter enforces time, memory, output and value size. */
  readonly limits: ResolvedLimitsV1;
  /**
   * Fires when the caller gives up on the run. The adapter stops the guest as soon as it can and
   * resolves with an `ABORTED` error result.
   */
  readonly abortSignal: AbortSignal;
  /**
   * Forwards one tool call to the host. Call limits, validation, per-call timeouts, concurrency
   * and tracing happen behind it, so the adapter only moves the call across. Never rejects.
   * Calls made after `execute` has settled are refused with `ABORTED`.
   */
  readonly callTool: (call: SandboxToolCallV1) => Promise<SandboxToolResultV1>;
  /**
   * The code-validation rules of this run; `undefined` when the caller turned validation off.
   * `runCode` has already checked JavaScript and TypeScript on the host. For `python`, the adapter
   * must check the code against `validation.python` before running any of it (the reference runner
   * does it with Python's `ast`) and report a violation as a `VALIDATION_ERROR` result, with no
   * tool call and no output.
   */
  readonly validation?: SandboxValidationPolicyV1 | undefined;
  /**
   * Listens to the run while it goes on; `undefined` when nobody listens (then an adapter should
   * not pay for reporting). Optional to implement: an adapter that declares
   * `capabilities.liveOutput` calls it with each chunk of guest output as the guest writes it, in
   * the order written across both streams, and before the tool call the guest makes after writing
   * it; an adapter that does not may ignore it, and `runCode` then reports the output of the result
   * when the run ends. Chunks count against `limits.maxOutputBytes` like the result's output (a chunk
   * past the budget is cut or dropped), so that each stream's chunks concatenated equal the result's
   * `stdout` / `stderr`. Called on the host's event loop, never after `execute` settled; it does not
   * throw (`runCode` guards the listener) and must not be awaited.
   */
  readonly onEvent?: ((event: SandboxEventV1) => void) | undefined;
}
