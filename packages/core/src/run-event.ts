import type { ToolCallRecord } from './trace.js';

/**
 * Something that happened while `runCode` ran, delivered to `RunCodeOptions.onEvent` as it
 * happens. Events of one run arrive in the order the guest caused them: output written before a
 * tool call arrives before that call's `tool-call-start` (on adapters with
 * `capabilities.liveOutput`; on others, output arrives once, when the run ends). New variants may
 * be added: ignore types you do not know.
 */
export type RunEvent =
  | {
      /** A chunk of the guest's stdout or stderr, already counted against `maxOutputBytes`. */
      readonly type: 'stdout' | 'stderr';
      /** Id of the run. */
      readonly executionId: string;
      /**
       * The text (never empty). A stream's chunks concatenated equal the result's `stdout` /
       * `stderr`.
       */
      readonly text: string;
    }
  | {
      /** The guest called a tool; its input is not validated yet. */
      readonly type: 'tool-call-start';
      /** Id of the run. */
      readonly executionId: string;
      /** Id of the call (`ToolCallRecord.id`), shared with its `tool-call-end`. */
      readonly toolCallId: string;
      /** The tool's name as the guest asked for it (at most 200 characters; may name no tool). */
      readonly toolName: string;
    }
  | {
      /** A tool call finished, successfully or not; `record` is its trace record. */
      readonly type: 'tool-call-end';
      /** Id of the run. */
      readonly executionId: string;
      /** Id of the call, shared with its `tool-call-start`. */
      readonly toolCallId: string;
      /** The tool's name. */
      readonly toolName: string;
      /** The call's trace record, as in `RunResult.toolCalls`. */
      readonly record: ToolCallRecord;
    };
