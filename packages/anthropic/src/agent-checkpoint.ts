import { createHash } from 'node:crypto';
import type { MessageParam, TextBlockParam, ToolResultBlockParam, ToolUnion } from '@anthropic-ai/sdk/resources/messages';
import type { JsonValue, Limits, SandboxLanguage, ToolErrorCode, Toolset } from '@codecall/core';
import { AgentError } from './agent-error.js';
import type { AgentToolCall } from './agent-result.js';
import type { CodeExecutionToolType } from './anthropic-tools.js';
import type { ToolCallers } from './callers.js';

/** The modes of `runAgent` (see `AgentMode`); repeated here so the checkpoint module stands alone. */
type CheckpointMode = 'sequential' | 'parallel' | 'programmatic' | 'native' | 'hybrid';

/** One call that waits for a human's decision in a suspended run. */
export interface PendingApproval {
  /** The key of this call's decision in `resumeAgent({ decisions })`. */
  readonly id: string;
  /** Name of the tool. */
  readonly toolName: string;
  /** The validated input the tool would receive. */
  readonly input: JsonValue;
  /** Who made the call: the model (`direct`), the model's local code (`code`) or hosted code (`native`). */
  readonly caller: 'direct' | 'code' | 'native';
  /** The `tool_use` id of the call (direct, native) or of the code tool call whose code made it (code). */
  readonly toolUseId: string;
}

/**
 * One tool call of a suspended local code run, as the code saw it. A resumed run re-runs the code
 * and answers these calls from here (same order, same tool, same input) instead of calling the
 * handlers again.
 */
export interface CodeRunJournalEntry {
  /** The dispatcher's id of the call (`call_1`, `call_2`, … in the order the code made them). */
  readonly toolCallId: string;
  /** Name of the tool. */
  readonly tool: string;
  /** The validated input. */
  readonly input: JsonValue;
  /** The approval decision, when the call needed one: `pending` while no one has decided. */
  approval?: 'approved' | 'denied' | 'pending';
  /** The id of the pending approval (see `PendingApproval.id`), when the call needed one. */
  approvalId?: string;
  /** What the code received: the output (absent for `undefined`) or the error; absent when the call had not finished. */
  outcome?: { readonly output?: JsonValue } | { readonly error: { readonly code: ToolErrorCode; readonly message: string } };
}

/** The state of one unanswered `tool_use` block of the suspended turn. */
export interface CheckpointPendingCall {
  /** Its `tool_use` id. */
  readonly toolUseId: string;
  /** For a direct or native call: the number it took in the run's tool-call budget (not counted again on resume). */
  readonly callNumbers?: readonly number[];
  /** For a call of the code tool: the journal of its code run so far. */
  readonly codeRun?: {
    /** The calls the code made, in order. */
    readonly journal: readonly CodeRunJournalEntry[];
    /** The 1-based numbers the run's calls took in the agent run's tool-call budget, in order. */
    readonly callNumbers: readonly number[];
    /** Ids of the calls already reported in `toolCalls` (not reported again on replay). */
    readonly reportedCallIds: readonly string[];
  };
}

/** The serializable settings a resumed run continues with (everything but the client, tools, sandbox and callbacks). */
export interface AgentCheckpointSettings {
  /** The mode of the run. */
  readonly mode: CheckpointMode;
  /** The model id. */
  readonly model: string;
  /** `maxTurns` of the run. */
  readonly maxTurns: number;
  /** `maxNestedCallBatches` of the run. */
  readonly maxNestedCallBatches: number;
  /** `max_tokens` of each request. */
  readonly maxTokens: number;
  /** Whether prompt caching breakpoints are set. */
  readonly promptCaching: boolean;
  /** Cap of each direct tool result, in UTF-8 bytes. */
  readonly maxToolResultBytes: number;
  /** The hosted code execution version (native mode). */
  readonly codeExecutionType: CodeExecutionToolType;
  /** The limits as given to `runAgent` (unset fields take their defaults again). */
  readonly limits?: Limits;
  /** Callers per tool name, as given to `runAgent`. */
  readonly callers?: Readonly<Record<string, ToolCallers>>;
  /** The code tool (programmatic, hybrid): its name, language and result cap. */
  readonly codeTool?: { readonly name: string; readonly language: SandboxLanguage; readonly maxResultBytes: number };
  /** The tool definitions sent to the model, exactly as sent (so later turns offer the same tools). */
  readonly definitions: readonly ToolUnion[];
  /** The system prompt blocks as sent. */
  readonly system?: readonly TextBlockParam[];
}

/** Counters of the run so far, carried into the resumed run's metrics. */
export interface AgentCheckpointCounters {
  readonly modelRoundTrips: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheCreationInputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly direct: number;
  readonly nested: number;
  readonly codeRuns: number;
  readonly failed: number;
  readonly denied: number;
  readonly toolResultBytes: number;
  readonly toolResultTokens: number;
  readonly nestedToolResultBytes: number;
  readonly modelTimeMs: number;
  readonly simulatedModelTimeMs?: number;
  readonly sandboxTimeMs: number;
  readonly toolTimeMs: number;
  /** Wall time the run was active so far; time waiting for a decision is not in it. */
  readonly wallTimeMs: number;
}

/**
 * A run suspended for approval, as plain JSON: `JSON.stringify` it, store it anywhere, and hand
 * `JSON.parse` of it to `resumeAgent` in this process or another. It holds no API key, client,
 * handler or sandbox: those are given again to `resumeAgent`.
 */
export interface AgentCheckpoint {
  /** Format version; this package writes and reads `1`. */
  readonly version: 1;
  /** Id of the agent run, the same across its resumptions. */
  readonly runId: string;
  /** The run's settings. */
  readonly settings: AgentCheckpointSettings;
  /** A fingerprint per tool of the toolset (name and schemas): resuming with other tools is refused. */
  readonly tools: readonly { readonly name: string; readonly fingerprint: string }[];
  /** The conversation, ending with the assistant message whose `tool_use` blocks are being answered. */
  readonly messages: readonly MessageParam[];
  /** The hosted code execution container (native mode), carried into the next request. */
  readonly container?: string;
  /** Round trips so far (the `turn` of events). */
  readonly turn: number;
  /** Model turns counted against `maxTurns` so far. */
  readonly modelTurns: number;
  /** Batches of nested calls answered so far. */
  readonly nestedCallBatches: number;
  /** Calls counted by the run's tool-call budget so far (`limits.maxToolCalls`). */
  readonly toolCallCount: number;
  /** Results of the suspended turn's calls that are answered already. */
  readonly answered: readonly ToolResultBlockParam[];
  /** The suspended turn's unanswered calls. */
  readonly pending: readonly CheckpointPendingCall[];
  /** The calls that wait for a decision: one entry of `decisions` each. */
  readonly pendingApprovals: readonly PendingApproval[];
  /** Every tool call so far (see `AgentResult.toolCalls`). */
  readonly toolCalls: readonly AgentToolCall[];
  /** Counters so far. */
  readonly counters: AgentCheckpointCounters;
}

/** JSON text with object keys sorted (and `undefined` members left out), to compare values whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A JSON copy of a value (`undefined` stays `undefined`). */
export function toJsonValue(value: unknown): JsonValue | undefined {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
}

/** The fingerprints of a toolset's tools: name plus a hash of its input and output schemas. */
export function toolFingerprints(tools: Toolset): { name: string; fingerprint: string }[] {
  return tools.entries.map(({ tool }) => ({
    name: tool.name,
    fingerprint: createHash('sha256')
      .update(canonicalJson({ input: tool.inputSchema, output: tool.outputSchema ?? null }))
      .digest('hex')
      .slice(0, 16),
  }));
}

function invalid(message: string): AgentError {
  return new AgentError(`resumeAgent: ${message}`, { code: 'INVALID_CHECKPOINT' });
}

/**
 * Checks that a value is a checkpoint this version can resume, with the given tools and
 * decisions; throws `AgentError` with code `INVALID_CHECKPOINT` saying what does not fit.
 */
export function assertResumable(checkpoint: unknown, tools: Toolset, decisions: unknown): asserts checkpoint is AgentCheckpoint {
  const value = checkpoint as Partial<AgentCheckpoint> | null;
  if (typeof value !== 'object' || value === null) throw invalid(`expected the checkpoint object of an 'awaiting_approval' result, got ${value === null ? 'null' : typeof value}.`);
  if (value.version !== 1) throw invalid(`checkpoint version ${JSON.stringify(value.version)} is not supported; this version of @codecall/anthropic resumes version 1.`);
  const fields = ['runId', 'settings', 'tools', 'messages', 'answered', 'pending', 'pendingApprovals', 'toolCalls', 'counters'] as const;
  const missing = fields.filter((field) => value[field] === undefined);
  if (missing.length > 0) throw invalid(`the checkpoint lacks ${missing.join(', ')}.`);
  const expected = new Map(value.tools!.map((tool) => [tool.name, tool.fingerprint]));
  const given = new Map(toolFingerprints(tools).map((tool) => [tool.name, tool.fingerprint]));
  const absent = [...expected.keys()].filter((name) => !given.has(name));
  const extra = [...given.keys()].filter((name) => !expected.has(name));
  const changed = [...expected].filter(([name, fingerprint]) => given.has(name) && given.get(name) !== fingerprint).map(([name]) => name);
  if (absent.length > 0 || extra.length > 0 || changed.length > 0) {
    const parts = [
      absent.length > 0 ? `missing ${absent.join(', ')}` : '',
      extra.length > 0 ? `not in the checkpoint: ${extra.join(', ')}` : '',
      changed.length > 0 ? `schemas changed: ${changed.join(', ')}` : '',
    ].filter((part) => part !== '');
    throw invalid(`options.tools is not the toolset the run was suspended with (${parts.join('; ')}). Resume with the same tools.`);
  }
  if (typeof decisions !== 'object' || decisions === null || Array.isArray(decisions)) {
    throw invalid(`options.decisions must be an object of approval id → true (approve) or false (deny), got ${Array.isArray(decisions) ? 'an array' : String(decisions)}.`);
  }
  const ids = new Set(value.pendingApprovals!.map((approval) => approval.id));
  const undecided = [...ids].filter((id) => typeof (decisions as Record<string, unknown>)[id] !== 'boolean');
  if (undecided.length > 0) throw invalid(`options.decisions needs true or false for every pending approval; missing or not a boolean: ${undecided.join(', ')}.`);
  const unknown = Object.keys(decisions).filter((id) => !ids.has(id));
  if (unknown.length > 0) throw invalid(`options.decisions names approvals the checkpoint does not wait for: ${unknown.join(', ')} (pending: ${[...ids].join(', ') || 'none'}).`);
}
