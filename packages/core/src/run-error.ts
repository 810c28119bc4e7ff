/**
 * Why a run failed, as far as the guest code caused it:
 * - `SYNTAX_ERROR`: the code does not parse;
 * - `RUNTIME_ERROR`: the code threw (or returned a value JSON cannot express);
 * - `TOOL_ERROR`: a failed tool call was not caught (see `toolErrorCode`);
 * - `TIMEOUT`: `timeoutMs` elapsed;
 * - `MEMORY_LIMIT`: `memoryLimitBytes` was exceeded;
 * - `OUTPUT_LIMIT`: the return value exceeded `maxValueBytes`;
 * - `ABORTED`: the caller's `abortSignal` fired;
 * - `SANDBOX_CRASHED`: the guest's process or isolate died, or broke the bridge protocol;
 * - `VALIDATION_ERROR`: the code was refused before it started by the run's validation policy
 *   (see `validation`); nothing ran, no tool was called.
 */
export type RunErrorCode =
  | 'SYNTAX_ERROR'
  | 'RUNTIME_ERROR'
  | 'TOOL_ERROR'
  | 'TIMEOUT'
  | 'MEMORY_LIMIT'
  | 'OUTPUT_LIMIT'
  | 'ABORTED'
  | 'SANDBOX_CRASHED'
  | 'VALIDATION_ERROR';

/**
 * Which rule of the validation policy refused the code:
 * - `forbidden-import`: an import of a module outside the allow-list (or `import()`/`import.meta`);
 * - `forbidden-name`: a forbidden name (`eval`, `__import__`, `require`…);
 * - `forbidden-attribute`: a forbidden attribute or property (`__class__`, `gi_frame`, `constructor`…);
 * - `dynamic-attribute`: `getattr`/`setattr`/`delattr`/`hasattr`/`attrgetter` with a name that is
 *   not a string literal, so it cannot be checked;
 * - `global-write`: an assignment to or deletion of a property of `globalThis` (or `global`, `self`, `window`);
 * - `forbidden-statement`: a statement that defeats the checks (`with`).
 */
export type ValidationRule =
  | 'forbidden-import'
  | 'forbidden-name'
  | 'forbidden-attribute'
  | 'dynamic-attribute'
  | 'global-write'
  | 'forbidden-statement';

/** A failure caused by guest code, returned as data (it is what goes back to the model). */
export interface RunError {
  /** The kind of failure. */
  readonly code: RunErrorCode;
  /** The guest's error class name when it threw (`TypeError`, `ToolError`, `KeyError`…), else a name for the code. */
  readonly name: string;
  /** A message a model can act on. Never contains host stack traces. */
  readonly message: string;
  /** 1-based line in the guest's own code where it happened, when known. */
  readonly line?: number;
  /** For `TOOL_ERROR`: the `ToolError` code of the uncaught failed call. */
  readonly toolErrorCode?: string;
  /** For `VALIDATION_ERROR`: the rule that refused the code and the name it refused (`__import__`). */
  readonly validation?: { readonly rule: ValidationRule; readonly name: string };
}
