/**
 * What one `runAgent` call cost, as the benchmark reads it. Token counts come from the API's
 * `usage` (the simulator computes them with its stated tokenizer); byte counts are UTF-8.
 */
export interface AgentMetrics {
  /** Messages API requests that returned a message (retries inside the client are not counted). */
  readonly modelRoundTrips: number;
  /** Sum of `usage.input_tokens`: input tokens neither read from nor written to the cache. */
  readonly inputTokens: number;
  /** Sum of `usage.output_tokens`. */
  readonly outputTokens: number;
  /** Sum of `usage.cache_creation_input_tokens`: input tokens written to the prompt cache. */
  readonly cacheCreationInputTokens: number;
  /** Sum of `usage.cache_read_input_tokens`: input tokens read from the prompt cache. */
  readonly cacheReadInputTokens: number;
  /** `inputTokens + cacheCreationInputTokens + cacheReadInputTokens`: everything the model read. */
  readonly totalInputTokens: number;
  /** Tool calls, by who made them. */
  readonly toolCalls: AgentToolCallCounts;
  /**
   * UTF-8 bytes of tool results that entered the model's context: `tool_result` contents of
   * direct calls and of the code tool (sequential, parallel, programmatic, hybrid), and the
   * stdout/stderr of `code_execution_tool_result` blocks (native). Results of nested calls, which
   * go to the running code and not to the model, are in `nestedToolResultBytes`.
   */
  readonly toolResultBytes: number;
  /**
   * Tokens of the same text, counted with o200k (`gpt-tokenizer`), a proxy for Claude's tokenizer,
   * so that modes compare on one scale whatever API served them.
   */
  readonly toolResultTokens: number;
  /** UTF-8 bytes of nested tool results (outputs of calls made from code), which the model does not read. */
  readonly nestedToolResultBytes: number;
  /** Wall time spent waiting for the Messages API (measured around each request, retries included), in milliseconds. */
  readonly modelTimeMs: number;
  /**
   * Model time the simulator modelled (its `codecall-simulated-ms` header), in milliseconds;
   * `undefined` against the real API. Differs from `modelTimeMs` when the simulator's `timeScale` is not 1.
   */
  readonly simulatedModelTimeMs: number | undefined;
  /** Wall time of code runs in the local sandbox (`runCode`'s `durationMs`), in milliseconds. */
  readonly sandboxTimeMs: number;
  /** Wall time of direct and native-nested tool calls on the host, in milliseconds (nested calls of local code runs are inside `sandboxTimeMs`). */
  readonly toolTimeMs: number;
  /** Wall time of the whole `runAgent` call, in milliseconds. */
  readonly wallTimeMs: number;
}

/** Tool calls of one `runAgent` call. */
export interface AgentToolCallCounts {
  /** Calls the model made with a `tool_use` block (the code tool excluded). */
  readonly direct: number;
  /** Calls made from code: local code runs (programmatic, hybrid) and hosted code execution (native). */
  readonly nested: number;
  /** Runs of the code tool (programmatic, hybrid) or of hosted code execution blocks (native). */
  readonly codeRuns: number;
  /** Calls that failed (any `ToolError` code, `DENIED` included). */
  readonly failed: number;
  /** Calls an approval denied. */
  readonly denied: number;
}
