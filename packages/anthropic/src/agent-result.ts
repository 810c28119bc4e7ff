import type { Message, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import type { ToolCallRecord } from '@codecall/core';
import type { AgentCheckpoint } from './agent-checkpoint.js';
import type { AgentMetrics } from './agent-metrics.js';

/** One tool call of an agent run: the dispatcher's record plus who made it. */
export interface AgentToolCall extends ToolCallRecord {
  /**
   * Who made the call: `direct` (a `tool_use` of the model), `code` (the model's code in the local
   * sandbox) or `native` (Anthropic's hosted code execution, a `tool_use` with a server `caller`).
   */
  readonly caller: 'direct' | 'code' | 'native';
  /** The `tool_use` id (direct, native), or the id of the code tool's `tool_use` whose run made the call (code). */
  readonly toolUseId: string;
}

/** What `runAgent` returns. */
export interface AgentResult {
  /**
   * `completed`: the model ended its turn; `max_turns`: `maxTurns` model turns were used up first;
   * `max_nested_call_batches`: hosted code asked for more batches of nested calls than
   * `maxNestedCallBatches` (the last batch is not answered); `awaiting_approval`: `onApproval`
   * answered `'suspend'`: `checkpoint` holds the run, `resumeAgent` continues it.
   */
  readonly status: AgentStatus;
  /** The text of the last model response (its text blocks joined). */
  readonly text: string;
  /** `stop_reason` of the last model response. */
  readonly stopReason: Message['stop_reason'];
  /** The conversation, including the final assistant message. */
  readonly messages: readonly MessageParam[];
  /** Every tool call, in the order they finished, with approvals (`approval`) and errors. */
  readonly toolCalls: readonly AgentToolCall[];
  /** Round trips, tokens, tool calls, bytes in context and times. */
  readonly metrics: AgentMetrics;
  /**
   * With status `awaiting_approval`: the suspended run as plain JSON (its `pendingApprovals` are
   * the calls to decide). Store it with `JSON.stringify`; continue it with `resumeAgent`.
   */
  readonly checkpoint?: AgentCheckpoint;
}

/** How an agent run ended (see `AgentResult.status`). */
export type AgentStatus = 'completed' | 'max_turns' | 'max_nested_call_batches' | 'awaiting_approval';
