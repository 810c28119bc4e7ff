/**
 * The limits of one run, fully resolved by `runCode` (defaults applied, values validated) before
 * they reach the adapter. Every field is a finite integer: `maxToolCalls` and `maxOutputBytes` may be
 * 0, every other field is at least 1 (`memoryLimitBytes` at least 8 MiB, `maxValueBytes` at least 16).
 */
export interface ResolvedLimitsV1 {
  /** Wall-clock limit of the whole run in milliseconds, tool calls included. */
  readonly timeoutMs: number;
  /** Memory the guest may use, in bytes (heap for JavaScript, address space for subprocesses). */
  readonly memoryLimitBytes: number;
  /** Tool calls allowed per run; the next call fails with `TOOL_CALL_LIMIT`. */
  readonly maxToolCalls: number;
  /** Tool calls that may run at once; further calls wait for a free slot. */
  readonly maxConcurrentToolCalls: number;
  /** Time limit of one tool call in milliseconds; the call then fails with `TOOL_TIMEOUT`. */
  readonly toolTimeoutMs: number;
  /**
   * Bytes of stdout and stderr kept together (UTF-8). Output past it is dropped and the result is
   * marked `outputTruncated`; the run goes on.
   */
  readonly maxOutputBytes: number;
  /**
   * Largest JSON text of one value crossing the bridge, in bytes: a tool input, a tool output or
   * the return value. Adapters must enforce it while they serialize, not after.
   */
  readonly maxValueBytes: number;
}
