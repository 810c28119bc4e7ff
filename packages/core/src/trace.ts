import type { ToolErrorCode } from './errors.js';

/** One tool call of a run, as recorded by the dispatcher. */
export interface ToolCallRecord {
  /** Id of the call, unique within the run (`ToolExecutionContext.toolCallId`). */
  readonly id: string;
  /** The tool's name as the guest asked for it (may name no tool, see `UNKNOWN_TOOL`; then at most 200 characters of it). */
  readonly name: string;
  /**
   * The decoded input (after validation when it passed; as sent when it did not). When the input's
   * JSON text is longer than `toolCallPreviewBytes` (4,096 bytes), a string instead: the first
   * 4,096 bytes of that text followed by `…` (see `inputTruncated`).
   */
  readonly input: unknown;
  /** Set when `input` is a preview of a larger input. */
  readonly inputTruncated?: true;
  /**
   * The tool's validated output, when the call succeeded. When its JSON text is longer than
   * `toolCallPreviewBytes`, a string preview like `input`'s (see `outputTruncated`).
   */
  readonly output?: unknown;
  /** Set when `output` is a preview of a larger output. */
  readonly outputTruncated?: true;
  /** Why the call failed, when it did. */
  readonly error?: { readonly code: ToolErrorCode; readonly message: string };
  /** Whether an approval was asked for, and its answer. */
  readonly approval?: 'approved' | 'denied';
  /** Start of the call, in milliseconds since the Unix epoch. */
  readonly startedAt: number;
  /** Start of the call, in milliseconds since the run started. */
  readonly offsetMs: number;
  /** Duration of the call in milliseconds (validation, approval, queueing and handler). */
  readonly durationMs: number;
}
