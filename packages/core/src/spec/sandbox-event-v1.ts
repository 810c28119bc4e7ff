/**
 * A chunk of guest output, reported by the adapter while the run goes on (see
 * `SandboxExecuteRequestV1.onEvent`). The chunks of one stream, concatenated in the order they were
 * reported, equal that stream's `stdout` / `stderr` in the run's result: the adapter applies the
 * `maxOutputBytes` budget before it reports a chunk, never after.
 */
export interface SandboxOutputEventV1 {
  /** `stdout` for `console.log`/`info`/`debug` and `print`; `stderr` for `console.error`/`warn` and `print(file=sys.stderr)`. */
  readonly type: 'stdout' | 'stderr';
  /** The text written, UTF-8 (a chunk may hold several lines, or part of one). Never empty. */
  readonly text: string;
}

/**
 * Something an adapter reports while a run goes on. Version 1 reports guest output only; tool-call
 * events come from `runCode`'s dispatcher, never from the adapter. Later versions may add variants:
 * an adapter never receives them, and a listener ignores types it does not know.
 */
export type SandboxEventV1 = SandboxOutputEventV1;
