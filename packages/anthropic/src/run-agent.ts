import { randomUUID } from 'node:crypto';
import type { Anthropic } from '@anthropic-ai/sdk';
import type {
  ContentBlock,
  ContentBlockParam,
  Message,
  MessageCreateParamsNonStreaming,
  MessageParam,
  TextBlockParam,
  ToolResultBlockParam,
  ToolUnion,
  ToolUseBlock,
  Usage,
} from '@anthropic-ai/sdk/resources/messages';
import { createDispatcher, createToolCallBudget, createToolset, resolveLimits, toToolset } from '@codecall/core';
import type {
  AnyTool,
  ApprovalRequest,
  JsonSchemaToolDefinition,
  Limits,
  SandboxLanguage,
  SandboxV1,
  ToolCallBudget,
  ToolCallRecord,
  Toolset,
} from '@codecall/core';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { toJsonValue, toolFingerprints } from './agent-checkpoint.js';
import type { AgentCheckpoint, AgentCheckpointCounters, AgentCheckpointSettings, CheckpointPendingCall, PendingApproval } from './agent-checkpoint.js';
import type { AgentEvent } from './agent-event.js';
import { endAgentSpan, endModelSpan, startAgentSpan, startModelSpan, withSpan } from './agent-telemetry.js';
import type { AgentSpan } from './agent-telemetry.js';
import { AgentError, toAgentError } from './agent-error.js';
import type { AgentMetrics } from './agent-metrics.js';
import type { AgentResult, AgentToolCall } from './agent-result.js';
import { normalizeDecision, runJournaledCode } from './journaled-code-run.js';
import type { ApprovalDecision, CodeRunState } from './journaled-code-run.js';
import { defaultCodeExecutionToolType, findToolByApiName, toAnthropicTools } from './anthropic-tools.js';
import type { CodeExecutionToolType } from './anthropic-tools.js';
import { callersOf } from './callers.js';
import type { ToolCallers } from './callers.js';
import { createCodeTool, defaultMaxResultBytes, truncateText } from './code-tool.js';
import type { CodeTool, CodeToolDescriptionContext } from './code-tool.js';

/**
 * How the model reaches the tools:
 * - `sequential`: classic tool use, at most one call per model turn (`disable_parallel_tool_use`);
 * - `parallel`: classic tool use, several calls per turn allowed (run concurrently);
 * - `programmatic`: one code tool; the model's code runs in `sandbox` through `runCode`;
 * - `native`: Anthropic's hosted code execution calls the tools (`allowed_callers`, `caller`);
 * - `hybrid`: the direct tools and the code tool together.
 */
export type AgentMode = 'sequential' | 'parallel' | 'programmatic' | 'native' | 'hybrid';

/** The code tool's settings in `runAgent`. */
export interface AgentCodeToolOptions {
  /** Name of the code tool. Default `'run_code'`. */
  readonly name?: string;
  /** Its description (see `CodeToolSettings.description`). */
  readonly description?: string | ((context: CodeToolDescriptionContext) => string);
  /** Cap of each code result for the model, in UTF-8 bytes. Default 16,000. */
  readonly maxResultBytes?: number;
}

/** Options of `runAgent`. */
export interface RunAgentOptions {
  /** The Anthropic client (real API, or the simulator through `baseURL`). Its `maxRetries` applies. */
  readonly client: Anthropic;
  /** Model id, e.g. `'claude-sonnet-4-6'`. */
  readonly model: string;
  /** The tools, defined once. */
  readonly tools: Toolset | readonly (AnyTool | JsonSchemaToolDefinition)[];
  /** How the model reaches the tools. */
  readonly mode: AgentMode;
  /** The task: a user message, or a whole conversation to continue. */
  readonly prompt: string | readonly MessageParam[];
  /** Where the code tool runs; required by `programmatic` and `hybrid`. */
  readonly sandbox?: SandboxV1;
  /** Language of the code tool. Default: JavaScript when the sandbox runs it, else its first language. */
  readonly language?: SandboxLanguage;
  /** System prompt. */
  readonly system?: string;
  /**
   * Most model turns before the run stops with status `max_turns`: responses in which the model
   * generated something (text, a call, code). Continuations that only carry further nested calls of
   * hosted code (native mode) are round trips but not turns. Default 20.
   */
  readonly maxTurns?: number;
  /**
   * Most batches of nested calls from hosted code (native mode) that the run answers before it
   * stops with status `max_nested_call_batches`: each response that carries nested calls (a
   * `tool_use` with a server `caller`) is one batch, however many calls it holds. These responses
   * do not count against `maxTurns`, so this caps a hosted loop of sequential calls, one round
   * trip each. Counted over the whole run. Default 100.
   */
  readonly maxNestedCallBatches?: number;
  /** `max_tokens` of each request. Default 4,096. */
  readonly maxTokens?: number;
  /** Stream each response (SSE) and report text deltas. Default `false`. */
  readonly stream?: boolean;
  /**
   * Prompt caching: `cache_control` breakpoints on the last tool, the system prompt and the last
   * block of the conversation (so each turn reads the previous turn's prefix). Default `true`.
   */
  readonly promptCaching?: boolean;
  /** Callers per tool name, overriding `withCallers` (see `ToolCallers`). */
  readonly callers?: Readonly<Record<string, ToolCallers>>;
  /** The code tool's name, description and result cap. */
  readonly codeTool?: AgentCodeToolOptions;
  /**
   * Limits of code runs (`runCode`) and of each direct or native-nested call (`toolTimeoutMs`,
   * `maxValueBytes`). `maxToolCalls` and `maxConcurrentToolCalls` hold for the whole agent run:
   * direct calls, the calls of every code run and hosted code's nested calls share one budget
   * (`createToolCallBudget`). A call past `maxToolCalls` is not run; the model (or its code) gets
   * a `TOOL_CALL_LIMIT` tool error it can act on.
   */
  readonly limits?: Limits;
  /** Cap of each direct tool result for the model, in UTF-8 bytes. Default 16,000. */
  readonly maxToolResultBytes?: number;
  /** Hosted code execution version of `native` mode. Default `'code_execution_20260120'`. */
  readonly codeExecutionType?: CodeExecutionToolType;
  /** Stops the run; `runAgent` then rejects with an `AgentError` of code `ABORTED`. */
  readonly abortSignal?: AbortSignal;
  /** Receives every event as it happens. Errors it throws are ignored. */
  readonly onEvent?: (event: AgentEvent) => void;
  /**
   * Decides calls of tools with `needsApproval`: `true` approves, `false` denies, `'suspend'` ends
   * the run with status `awaiting_approval` and a JSON checkpoint that `resumeAgent` continues
   * with the decision, in this process or another. Without it such calls are denied.
   *
   * Waiting for a decision never counts against a code run's `limits.timeoutMs`: a local code run
   * whose decision is not there at once (a promise that stays pending past the current turn of
   * the event loop, e.g. a human at a prompt) is stopped at the call and re-run once the decision
   * arrives, with the results of its earlier calls replayed in order (see `resumeAgent` for what
   * that asks of the program). Direct and hosted-code calls simply wait: their `toolTimeoutMs`
   * starts after the approval.
   */
  readonly onApproval?: (request: AgentApprovalRequest) => ApprovalDecision | Promise<ApprovalDecision>;
}

/** What `runAgent`'s `onApproval` is asked: core's request plus where the call comes from. */
export interface AgentApprovalRequest extends ApprovalRequest {
  /** Id of this approval; the key of its decision in `resumeAgent({ decisions })`. */
  readonly approvalId: string;
  /** Who made the call: the model (`direct`), its local code (`code`) or hosted code (`native`). */
  readonly caller: 'direct' | 'code' | 'native';
  /** The `tool_use` id of the call (direct, native) or of the code tool call whose code made it (code). */
  readonly toolUseId: string;
}

const simulatedTimeHeader = 'codecall-simulated-ms';

/** Default of `RunAgentOptions.maxNestedCallBatches`. */
export const defaultMaxNestedCallBatches = 100;

interface MutableMetrics {
  modelRoundTrips: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  direct: number;
  nested: number;
  codeRuns: number;
  failed: number;
  denied: number;
  toolResultBytes: number;
  toolResultTokens: number;
  nestedToolResultBytes: number;
  modelTimeMs: number;
  simulatedModelTimeMs: number | undefined;
  sandboxTimeMs: number;
  toolTimeMs: number;
}

function textOf(content: readonly ContentBlock[]): string {
  return content
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
}

/** The assistant content as request params: the blocks as the API returned them, minus nulls it does not accept back. */
function toParams(content: readonly ContentBlock[]): ContentBlockParam[] {
  return content.map((block) => {
    if (block.type === 'text') return { type: 'text', text: block.text };
    return block;
  });
}

// The text of a call's result for the model: from the dispatcher's answer (the whole output),
// not from the trace record, which keeps only a bounded preview of large outputs.
function outputText(record: ToolCallRecord, outputJson: string | undefined): string {
  if (record.error !== undefined) return `Error (${record.error.code}): ${record.error.message}`;
  if (outputJson === undefined) return '(no output)';
  const output: unknown = JSON.parse(outputJson);
  return typeof output === 'string' ? output : outputJson;
}

function withCacheBreakpoint(messages: readonly MessageParam[]): MessageParam[] {
  const copy = [...messages];
  const lastIndex = copy.length - 1;
  const last = copy[lastIndex];
  if (last === undefined || last.role === 'system') return copy;
  const blocks: ContentBlockParam[] = typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : [...last.content];
  const tail = blocks[blocks.length - 1];
  if (tail === undefined || !('type' in tail) || tail.type === 'thinking' || tail.type === 'redacted_thinking') return copy;
  blocks[blocks.length - 1] = { ...tail, cache_control: { type: 'ephemeral' } };
  copy[lastIndex] = { role: last.role, content: blocks };
  return copy;
}

/**
 * Internal (not exported from the package): the parts of a run that are not serializable, given
 * to `runAgent` and again to `resumeAgent`. Fields as in `RunAgentOptions`.
 */
export interface AgentRuntime {
  /** The Anthropic client. */
  readonly client: Anthropic;
  /** The tools. */
  readonly tools: Toolset;
  /** Where the code tool runs. */
  readonly sandbox?: SandboxV1 | undefined;
  /** Stream responses. */
  readonly stream: boolean;
  /** Stops the run. */
  readonly abortSignal?: AbortSignal | undefined;
  /** Receives every event. */
  readonly onEvent?: ((event: AgentEvent) => void) | undefined;
  /** Decides calls that need approval. */
  readonly onApproval?: RunAgentOptions['onApproval'] | undefined;
  /** The code tool, already built (programmatic, hybrid). */
  readonly codeTool?: CodeTool | undefined;
}

/** Internal: where `driveAgent` starts: a new run, or a checkpoint with its decisions. */
export type AgentStart =
  | { readonly type: 'new'; readonly runId: string; readonly messages: readonly MessageParam[] }
  | { readonly type: 'resume'; readonly checkpoint: AgentCheckpoint; readonly decisions: Readonly<Record<string, boolean>> };

/**
 * Runs Claude on a task with a toolset in one of five modes and returns the final text, the
 * conversation, every tool call and the metrics. Tool failures go back to the model as
 * `is_error` results; API failures (after the client's retries) reject with `AgentError`.
 * When `onApproval` answers `'suspend'`, the run ends with status `awaiting_approval` and a
 * `checkpoint` for `resumeAgent`.
 *
 * @example
 * ```ts
 * const result = await runAgent({ client, model: 'claude-sonnet-4-6', tools, mode: 'programmatic', sandbox,
 *   prompt: 'Which employees exceeded their Q3 travel budget?' });
 * console.log(result.text, result.metrics.modelRoundTrips);
 * ```
 */
export async function runAgent(options: RunAgentOptions): Promise<AgentResult> {
  const { mode } = options;
  const modes: readonly AgentMode[] = ['sequential', 'parallel', 'programmatic', 'native', 'hybrid'];
  if (!modes.includes(mode)) throw new AgentError(`Unknown mode ${JSON.stringify(mode)}; use one of ${modes.join(', ')}.`, { code: 'INVALID_OPTIONS' });
  const maxTurns = options.maxTurns ?? 20;
  if (!Number.isSafeInteger(maxTurns) || maxTurns < 1) throw new AgentError(`maxTurns must be a positive integer, got ${String(maxTurns)}.`, { code: 'INVALID_OPTIONS' });
  const maxNestedCallBatches = options.maxNestedCallBatches ?? defaultMaxNestedCallBatches;
  if (!Number.isSafeInteger(maxNestedCallBatches) || maxNestedCallBatches < 1) {
    throw new AgentError(`maxNestedCallBatches must be a positive integer, got ${String(maxNestedCallBatches)}.`, { code: 'INVALID_OPTIONS' });
  }
  if (options.onApproval !== undefined && typeof options.onApproval !== 'function') {
    throw new AgentError(`onApproval must be a function answering true, false or 'suspend', got ${typeof options.onApproval}.`, { code: 'INVALID_OPTIONS' });
  }
  const tools = toToolset(options.tools);
  const usesCodeTool = mode === 'programmatic' || mode === 'hybrid';
  if (usesCodeTool && options.sandbox === undefined) {
    throw new AgentError(`Mode ${mode} runs the model's code locally: pass options.sandbox (e.g. createIsolatedVmSandbox()).`, { code: 'INVALID_OPTIONS' });
  }
  const promptCaching = options.promptCaching ?? true;
  const maxToolResultBytes = options.maxToolResultBytes ?? defaultMaxResultBytes;
  const codeExecutionType = options.codeExecutionType ?? defaultCodeExecutionToolType;
  const callerOverrides = options.callers === undefined ? {} : { callers: options.callers };

  let codeTool: CodeTool | undefined;
  try {
    codeTool =
      usesCodeTool && options.sandbox !== undefined
        ? createCodeTool({
            sandbox: options.sandbox,
            tools,
            ...(options.language === undefined ? {} : { language: options.language }),
            ...(options.codeTool?.name === undefined ? {} : { name: options.codeTool.name }),
            ...(options.codeTool?.description === undefined ? {} : { description: options.codeTool.description }),
            ...(options.codeTool?.maxResultBytes === undefined ? {} : { maxResultBytes: options.codeTool.maxResultBytes }),
            ...(options.limits === undefined ? {} : { limits: options.limits }),
            ...callerOverrides,
          })
        : undefined;
  } catch (error) {
    throw new AgentError(`Cannot build the code tool: ${error instanceof Error ? error.message : String(error)} (options.language / options.sandbox)`, { code: 'INVALID_OPTIONS', cause: error });
  }

  // Tools offered to the model, per mode.
  let definitions: ToolUnion[];
  if (mode === 'native') {
    definitions = [...toAnthropicTools(tools, { target: 'native', codeExecutionType, ...callerOverrides }), { type: codeExecutionType, name: 'code_execution' }];
  } else if (mode === 'programmatic') {
    const directOnly = createToolset(tools.entries.filter((entry) => !callersOf(entry.tool, options.callers).includes('code')).map((entry) => entry.tool));
    definitions = [...toAnthropicTools(directOnly, callerOverrides), codeTool!.definition];
  } else if (mode === 'hybrid') {
    definitions = [...toAnthropicTools(tools, callerOverrides), codeTool!.definition];
  } else {
    definitions = toAnthropicTools(tools, callerOverrides);
  }
  if (codeTool !== undefined && definitions.filter((definition) => 'name' in definition && definition.name === codeTool.name).length > 1) {
    throw new AgentError(`A tool is named like the code tool (${codeTool.name}); set codeTool.name to another name.`, { code: 'INVALID_OPTIONS' });
  }
  if (promptCaching && definitions.length > 0) {
    const lastIndex = definitions.length - 1;
    definitions[lastIndex] = { ...definitions[lastIndex], cache_control: { type: 'ephemeral' } } as ToolUnion;
  }
  const system: TextBlockParam[] | undefined =
    options.system === undefined || options.system === ''
      ? undefined
      : [{ type: 'text', text: options.system, ...(promptCaching ? { cache_control: { type: 'ephemeral' as const } } : {}) }];
  // Validates the limits now (a bad limit is an options error, not a failure mid-run).
  resolveLimits(options.limits);

  const settings: AgentCheckpointSettings = {
    mode,
    model: options.model,
    maxTurns,
    maxNestedCallBatches,
    maxTokens: options.maxTokens ?? 4_096,
    promptCaching,
    maxToolResultBytes,
    codeExecutionType,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.callers === undefined ? {} : { callers: options.callers }),
    ...(codeTool === undefined ? {} : { codeTool: { name: codeTool.name, language: codeTool.language, maxResultBytes: options.codeTool?.maxResultBytes ?? defaultMaxResultBytes } }),
    definitions,
    ...(system === undefined ? {} : { system }),
  };
  const runtime: AgentRuntime = {
    client: options.client,
    tools,
    sandbox: options.sandbox,
    stream: options.stream === true,
    abortSignal: options.abortSignal,
    onEvent: options.onEvent,
    onApproval: options.onApproval,
    codeTool,
  };
  const messages: MessageParam[] = typeof options.prompt === 'string' ? [{ role: 'user', content: options.prompt }] : [...options.prompt];
  return driveAgent(settings, runtime, { type: 'new', runId: randomUUID(), messages });
}

// A view of the run's budget for one call or code run: `fixed` numbers are the ones the calls
// took before a suspension, so a call made again on resume is not counted twice.
function numberedBudget(budget: ToolCallBudget, fixed: readonly number[]): { budget: ToolCallBudget; taken: number[] } {
  const taken: number[] = [];
  return {
    taken,
    budget: {
      maxToolCalls: budget.maxToolCalls,
      maxConcurrentToolCalls: budget.maxConcurrentToolCalls,
      get callCount() {
        return budget.callCount;
      },
      get activeCalls() {
        return budget.activeCalls;
      },
      countCall: () => {
        const number = fixed[taken.length] ?? budget.countCall();
        taken.push(number);
        return number;
      },
      acquireSlot: () => budget.acquireSlot(),
      releaseSlot: () => budget.releaseSlot(),
    },
  };
}

type BlockOutcome =
  | { readonly type: 'result'; readonly result: ToolResultBlockParam }
  | { readonly type: 'suspended'; readonly pending: CheckpointPendingCall; readonly approvals: readonly PendingApproval[] };

/**
 * The agent loop of `runAgent` and `resumeAgent`: from a new conversation, or from a checkpoint
 * whose pending calls it first answers with the decisions.
 */
export async function driveAgent(settings: AgentCheckpointSettings, runtime: AgentRuntime, start: AgentStart): Promise<AgentResult> {
  const wallStart = performance.now();
  const { client, tools, codeTool } = runtime;
  const { mode, maxTurns, maxNestedCallBatches, promptCaching, maxToolResultBytes, definitions } = settings;
  const system = settings.system === undefined ? undefined : [...settings.system];
  const checkpoint = start.type === 'resume' ? start.checkpoint : undefined;
  const runId = start.type === 'resume' ? start.checkpoint.runId : start.runId;
  const limits = resolveLimits(settings.limits);
  // OpenTelemetry: the run's span, and the span of the model request whose tool_use blocks are
  // being answered (code runs and tool calls nest under it).
  const agentSpan = startAgentSpan({ model: settings.model, mode, runId, resumed: checkpoint !== undefined });
  let turnSpan: AgentSpan = agentSpan;
  // One budget for every call of the run, whoever makes it; a resumed run continues its count.
  const budget = createToolCallBudget({ maxToolCalls: limits.maxToolCalls, maxConcurrentToolCalls: limits.maxConcurrentToolCalls });
  for (let counted = 0; counted < (checkpoint?.toolCallCount ?? 0); counted++) budget.countCall();

  const emit = (event: AgentEvent): void => {
    try {
      runtime.onEvent?.(event);
    } catch {
      // An observer must not change the run.
    }
  };
  let turn = checkpoint?.turn ?? 0;

  const counters = checkpoint?.counters;
  const metrics: MutableMetrics = {
    modelRoundTrips: counters?.modelRoundTrips ?? 0,
    inputTokens: counters?.inputTokens ?? 0,
    outputTokens: counters?.outputTokens ?? 0,
    cacheCreationInputTokens: counters?.cacheCreationInputTokens ?? 0,
    cacheReadInputTokens: counters?.cacheReadInputTokens ?? 0,
    direct: counters?.direct ?? 0,
    nested: counters?.nested ?? 0,
    codeRuns: counters?.codeRuns ?? 0,
    failed: counters?.failed ?? 0,
    denied: counters?.denied ?? 0,
    toolResultBytes: counters?.toolResultBytes ?? 0,
    toolResultTokens: counters?.toolResultTokens ?? 0,
    nestedToolResultBytes: counters?.nestedToolResultBytes ?? 0,
    modelTimeMs: counters?.modelTimeMs ?? 0,
    simulatedModelTimeMs: counters?.simulatedModelTimeMs,
    sandboxTimeMs: counters?.sandboxTimeMs ?? 0,
    toolTimeMs: counters?.toolTimeMs ?? 0,
  };
  const earlierWallTimeMs = counters?.wallTimeMs ?? 0;
  const toolCalls: AgentToolCall[] = checkpoint === undefined ? [] : [...checkpoint.toolCalls];
  const countInContext = (text: string): void => {
    metrics.toolResultBytes += Buffer.byteLength(text, 'utf8');
    metrics.toolResultTokens += countTokens(text);
  };
  const recordCall = (record: ToolCallRecord, caller: AgentToolCall['caller'], toolUseId: string): AgentToolCall => {
    const call: AgentToolCall = { ...record, caller, toolUseId };
    toolCalls.push(call);
    if (caller === 'direct') metrics.direct++;
    else metrics.nested++;
    if (record.error !== undefined) metrics.failed++;
    if (record.approval === 'denied') metrics.denied++;
    return call;
  };

  const emitDecision = (toolName: string, input: unknown, approved: boolean): void => emit({ type: 'approval', turn, toolName, input, approved });
  // The user's callback; only a literal `true` approves and `'suspend'` suspends.
  const ask = (request: AgentApprovalRequest): ApprovalDecision | Promise<ApprovalDecision> => {
    if (runtime.onApproval === undefined) return false;
    const answer: unknown = runtime.onApproval(request);
    // Any thenable is a pending decision; a rejected one denies.
    if (typeof answer === 'object' && answer !== null && typeof (answer as { then?: unknown }).then === 'function') {
      return Promise.resolve(answer).then(normalizeDecision, () => false);
    }
    return normalizeDecision(answer);
  };

  const runController = new AbortController();
  const forwardAbort = (): void => runController.abort(runtime.abortSignal?.reason);
  if (runtime.abortSignal?.aborted) runController.abort(runtime.abortSignal.reason);
  else runtime.abortSignal?.addEventListener('abort', forwardAbort, { once: true });

  // Direct and native-nested calls go through core's dispatcher, one per call and all on the run's
  // budget: the same validation, approval, limits, timeouts and error codes as calls from a local
  // code run.
  async function dispatch(
    name: string,
    input: unknown,
    onApproval: (request: ApprovalRequest) => Promise<boolean>,
    callNumbers: readonly number[],
  ): Promise<{ record: ToolCallRecord; outputJson: string | undefined; callNumbers: readonly number[] }> {
    let record: ToolCallRecord | undefined;
    let outputJson: string | undefined;
    const startedAt = Date.now();
    const numbered = numberedBudget(budget, callNumbers);
    const dispatcher = createDispatcher({
      tools,
      limits,
      budget: numbered.budget,
      executionId: runId,
      abortSignal: runController.signal,
      onApproval,
      onToolCall: (traced) => {
        record = traced;
      },
    });
    try {
      const answer = await dispatcher.callTool({ name, inputJson: JSON.stringify(input ?? {}) });
      if (answer.type === 'success') outputJson = answer.outputJson;
      // Refusals past the budget's first are not traced by the dispatcher; the model still gets an answer.
      record ??= {
        id: 'call_1',
        name,
        input,
        ...(answer.type === 'error' ? { error: { code: answer.code, message: answer.message } } : {}),
        startedAt,
        offsetMs: 0,
        durationMs: 0,
      };
    } finally {
      dispatcher.close();
    }
    return { record, outputJson, callNumbers: numbered.taken };
  }

  async function callHostTool(block: ToolUseBlock, caller: 'direct' | 'native', resumed: CheckpointPendingCall | undefined, decided: boolean | undefined): Promise<BlockOutcome> {
    const entry = findToolByApiName(tools, block.name);
    const allowed = entry === undefined || callersOf(entry.tool, settings.callers).includes(caller === 'direct' ? 'direct' : 'code');
    emit({ type: 'tool-call', turn, caller, id: block.id, name: entry?.name ?? block.name, input: block.input });
    let suspended: PendingApproval | undefined;
    const onApproval = async (request: ApprovalRequest): Promise<boolean> => {
      const answer = decided ?? (await ask({ ...request, approvalId: block.id, caller, toolUseId: block.id }));
      if (answer === 'suspend') {
        suspended = { id: block.id, toolName: request.toolName, input: toJsonValue(request.input) ?? null, caller, toolUseId: block.id };
        return false;
      }
      emitDecision(request.toolName, request.input, answer);
      return answer;
    };
    const start = performance.now();
    const dispatched = allowed ? await dispatch(entry?.name ?? block.name, block.input, onApproval, resumed?.callNumbers ?? []) : undefined;
    metrics.toolTimeMs += performance.now() - start;
    if (suspended !== undefined) {
      return { type: 'suspended', pending: { toolUseId: block.id, callNumbers: dispatched?.callNumbers ?? [] }, approvals: [suspended] };
    }
    const record: ToolCallRecord =
      dispatched !== undefined
        ? { ...dispatched.record, id: block.id }
        : {
            id: block.id,
            name: entry?.name ?? block.name,
            input: block.input,
            error: { code: 'DENIED', message: `${block.name} may not be called ${caller === 'direct' ? 'directly' : 'from code'} (its callers setting).` },
            startedAt: Date.now(),
            offsetMs: 0,
            durationMs: 0,
          };
    const call = recordCall(record, caller, block.id);
    const content = truncateText(outputText(record, dispatched?.outputJson), maxToolResultBytes);
    if (caller === 'direct') countInContext(content);
    else metrics.nestedToolResultBytes += Buffer.byteLength(content, 'utf8');
    emit({ type: 'tool-result', turn, call, content });
    return { type: 'result', result: { type: 'tool_result', tool_use_id: block.id, content, ...(record.error === undefined ? {} : { is_error: true }) } };
  }

  async function callCodeTool(block: ToolUseBlock, tool: CodeTool, resumed: CodeRunState | undefined): Promise<BlockOutcome> {
    const code = typeof block.input === 'object' && block.input !== null ? (block.input as { code?: unknown }).code : undefined;
    if (resumed === undefined) emit({ type: 'code', turn, id: block.id, language: tool.language, code: typeof code === 'string' ? code : '', where: 'local' });
    const outcome = await runJournaledCode({
      codeTool: tool,
      toolUseId: block.id,
      input: block.input,
      budget,
      abortSignal: runController.signal,
      ...(resumed === undefined ? {} : { state: resumed }),
      onEvent: (event) => emit({ type: 'code-event', turn, id: block.id, event }),
      ask: (request, approvalId) => ask({ ...request, approvalId, caller: 'code', toolUseId: block.id }),
      onDecision: emitDecision,
      onRecord: (record) => {
        const call = recordCall(record, 'code', block.id);
        emit({ type: 'tool-result', turn, call, content: undefined });
      },
    });
    metrics.sandboxTimeMs += outcome.sandboxTimeMs;
    if (outcome.type === 'suspended') return { type: 'suspended', pending: { toolUseId: block.id, codeRun: outcome.state }, approvals: outcome.approvals };
    const { run } = outcome;
    metrics.codeRuns++;
    countInContext(run.content);
    emit({ type: 'code-result', turn, id: block.id, result: run.result, content: run.content, isError: run.isError });
    return { type: 'result', result: { type: 'tool_result', tool_use_id: block.id, content: run.content, ...(run.isError ? { is_error: true } : {}) } };
  }

  function addUsage(usage: Usage): void {
    metrics.inputTokens += usage.input_tokens;
    metrics.outputTokens += usage.output_tokens;
    metrics.cacheCreationInputTokens += usage.cache_creation_input_tokens ?? 0;
    metrics.cacheReadInputTokens += usage.cache_read_input_tokens ?? 0;
  }

  async function callModel(params: MessageCreateParamsNonStreaming): Promise<Message> {
    const requestOptions = { signal: runController.signal };
    const start = performance.now();
    const modelSpan = startModelSpan(agentSpan, { model: params.model, maxTokens: params.max_tokens, turn });
    turnSpan = modelSpan;
    try {
      let message: Message;
      let response: Response;
      if (runtime.stream) {
        // The request runs in its span's context, so spans the client makes nest under it.
        const stream = withSpan(modelSpan, () => client.messages.stream(params, requestOptions));
        stream.on('text', (text) => emit({ type: 'text-delta', turn, text }));
        message = await stream.finalMessage();
        response = (await stream.withResponse()).response;
      } else {
        const result = await withSpan(modelSpan, () => client.messages.create(params, requestOptions).withResponse());
        message = result.data;
        response = result.response;
      }
      const simulated = Number(response.headers.get(simulatedTimeHeader) ?? Number.NaN);
      if (Number.isFinite(simulated)) metrics.simulatedModelTimeMs = (metrics.simulatedModelTimeMs ?? 0) + simulated;
      endModelSpan(modelSpan, { message });
      return message;
    } catch (error) {
      const failure = toAgentError(error);
      endModelSpan(modelSpan, { error: failure });
      throw failure;
    } finally {
      metrics.modelTimeMs += performance.now() - start;
    }
  }

  const messages: MessageParam[] = start.type === 'new' ? [...start.messages] : [...start.checkpoint.messages];
  let container: string | undefined = checkpoint?.container;
  // Counted against maxTurns: responses with model-generated content, not hosted-code continuations.
  let modelTurns = checkpoint?.modelTurns ?? 0;
  let nestedCallBatches = checkpoint?.nestedCallBatches ?? 0;
  let lastText = '';
  let lastStopReason: Message['stop_reason'] = null;
  let status: AgentResult['status'] = 'max_turns';
  let suspension: AgentCheckpoint | undefined;

  function currentMetrics(): AgentMetrics {
    return {
      modelRoundTrips: metrics.modelRoundTrips,
      inputTokens: metrics.inputTokens,
      outputTokens: metrics.outputTokens,
      cacheCreationInputTokens: metrics.cacheCreationInputTokens,
      cacheReadInputTokens: metrics.cacheReadInputTokens,
      totalInputTokens: metrics.inputTokens + metrics.cacheCreationInputTokens + metrics.cacheReadInputTokens,
      toolCalls: { direct: metrics.direct, nested: metrics.nested, codeRuns: metrics.codeRuns, failed: metrics.failed, denied: metrics.denied },
      toolResultBytes: metrics.toolResultBytes,
      toolResultTokens: metrics.toolResultTokens,
      nestedToolResultBytes: metrics.nestedToolResultBytes,
      modelTimeMs: metrics.modelTimeMs,
      simulatedModelTimeMs: metrics.simulatedModelTimeMs,
      sandboxTimeMs: metrics.sandboxTimeMs,
      toolTimeMs: metrics.toolTimeMs,
      wallTimeMs: earlierWallTimeMs + performance.now() - wallStart,
    };
  }

  // Answers the tool_use blocks of the last assistant message; on resume, those the checkpoint
  // has not answered yet, with its decisions.
  async function answerTurn(uses: readonly ToolUseBlock[]): Promise<ToolResultBlockParam[] | undefined> {
    const answered = new Map((checkpoint?.answered ?? []).map((result) => [result.tool_use_id, result]));
    const resumed = new Map((checkpoint?.pending ?? []).map((pending) => [pending.toolUseId, pending]));
    const decisions = start.type === 'resume' ? start.decisions : {};
    const answer = (block: ToolUseBlock): Promise<BlockOutcome> => {
      const prior = answered.get(block.id);
      if (prior !== undefined) return Promise.resolve({ type: 'result', result: prior });
      const state = resumed.get(block.id);
      if (block.caller !== undefined && block.caller.type !== 'direct') return callHostTool(block, 'native', state, decisions[block.id]);
      if (codeTool !== undefined && block.name === codeTool.name) {
        const codeRun = state?.codeRun === undefined ? undefined : applyDecisions(state.codeRun, decisions);
        for (const entry of codeRun?.journal ?? []) {
          const decision = entry.approvalId === undefined ? undefined : decisions[entry.approvalId];
          if (decision !== undefined) emitDecision(entry.tool, entry.input, decision);
        }
        return callCodeTool(block, codeTool, codeRun);
      }
      return callHostTool(block, 'direct', state, decisions[block.id]);
    };
    const outcomes: (BlockOutcome | undefined)[] = [];
    if (mode === 'sequential') {
      // In order, and nothing after a call that waits for a decision.
      for (const block of uses) outcomes.push(outcomes.some((outcome) => outcome?.type === 'suspended') ? undefined : await answer(block));
    } else {
      outcomes.push(...(await Promise.all(uses.map(answer))));
    }
    if (outcomes.every((outcome) => outcome?.type === 'result')) return outcomes.map((outcome) => (outcome as { result: ToolResultBlockParam }).result);
    const results: ToolResultBlockParam[] = [];
    const pending: CheckpointPendingCall[] = [];
    const approvals: PendingApproval[] = [];
    uses.forEach((block, index) => {
      const outcome = outcomes[index];
      if (outcome?.type === 'result') results.push(outcome.result);
      else if (outcome?.type === 'suspended') {
        pending.push(outcome.pending);
        approvals.push(...outcome.approvals);
      } else pending.push({ toolUseId: block.id });
    });
    const snapshot = currentMetrics();
    const savedCounters: AgentCheckpointCounters = {
      modelRoundTrips: snapshot.modelRoundTrips,
      inputTokens: snapshot.inputTokens,
      outputTokens: snapshot.outputTokens,
      cacheCreationInputTokens: snapshot.cacheCreationInputTokens,
      cacheReadInputTokens: snapshot.cacheReadInputTokens,
      direct: metrics.direct,
      nested: metrics.nested,
      codeRuns: metrics.codeRuns,
      failed: metrics.failed,
      denied: metrics.denied,
      toolResultBytes: metrics.toolResultBytes,
      toolResultTokens: metrics.toolResultTokens,
      nestedToolResultBytes: metrics.nestedToolResultBytes,
      modelTimeMs: metrics.modelTimeMs,
      ...(metrics.simulatedModelTimeMs === undefined ? {} : { simulatedModelTimeMs: metrics.simulatedModelTimeMs }),
      sandboxTimeMs: metrics.sandboxTimeMs,
      toolTimeMs: metrics.toolTimeMs,
      wallTimeMs: snapshot.wallTimeMs,
    };
    const saved: AgentCheckpoint = {
      version: 1,
      runId,
      settings,
      tools: toolFingerprints(tools),
      messages,
      ...(container === undefined ? {} : { container }),
      turn,
      modelTurns,
      nestedCallBatches,
      toolCallCount: budget.callCount,
      answered: results,
      pending,
      pendingApprovals: approvals,
      toolCalls,
      counters: savedCounters,
    };
    // A plain JSON copy: nothing in it may alias live state of this run.
    suspension = structuredClone(saved);
    return undefined;
  }

  try {
    if (checkpoint !== undefined) {
      const last = checkpoint.messages[checkpoint.messages.length - 1];
      const uses = last?.role === 'assistant' && typeof last.content !== 'string' ? last.content.filter((block): block is ToolUseBlock => block.type === 'tool_use') : [];
      lastText = last?.role === 'assistant' && typeof last.content !== 'string' ? last.content.map((block) => (block.type === 'text' ? block.text : '')).join('') : '';
      lastStopReason = 'tool_use';
      const results = await withSpan(turnSpan, () => answerTurn(uses));
      if (results !== undefined) messages.push({ role: 'user', content: results });
    }
    while (suspension === undefined && modelTurns < maxTurns) {
      if (runController.signal.aborted) throw new AgentError('The agent run was aborted.', { code: 'ABORTED' });
      turn++;
      const params: MessageCreateParamsNonStreaming = {
        model: settings.model,
        max_tokens: settings.maxTokens,
        messages: promptCaching ? withCacheBreakpoint(messages) : messages,
        ...(definitions.length === 0 ? {} : { tools: [...definitions] }),
        ...(system === undefined ? {} : { system }),
        ...(mode === 'sequential' && definitions.length > 0 ? { tool_choice: { type: 'auto', disable_parallel_tool_use: true } } : {}),
        ...(container === undefined ? {} : { container }),
      };
      emit({ type: 'model-request', turn });
      const start = performance.now();
      const message = await callModel(params);
      lastText = textOf(message.content);
      lastStopReason = message.stop_reason;
      metrics.modelRoundTrips++;
      addUsage(message.usage);
      if (message.container !== null && message.container !== undefined) container = message.container.id;
      emit({ type: 'model-response', turn, stopReason: message.stop_reason, text: lastText, usage: message.usage, durationMs: performance.now() - start });
      const generatedByModel = message.content.some((block) => block.type === 'text' || block.type === 'thinking' || block.type === 'redacted_thinking' || block.type === 'server_tool_use' || (block.type === 'tool_use' && (block.caller === undefined || block.caller.type === 'direct')));
      if (generatedByModel) modelTurns++;
      messages.push({ role: 'assistant', content: toParams(message.content) });

      for (const block of message.content) {
        if (block.type === 'text') {
          if (block.text !== '') emit({ type: 'text', turn, text: block.text });
        } else if (block.type === 'server_tool_use' && block.name === 'code_execution') {
          const code = typeof block.input === 'object' && block.input !== null ? (block.input as { code?: unknown }).code : undefined;
          emit({ type: 'code', turn, id: block.id, language: 'python', code: typeof code === 'string' ? code : '', where: 'hosted' });
        } else if (block.type === 'code_execution_tool_result' || block.type === 'bash_code_execution_tool_result') {
          metrics.codeRuns++;
          const result = block.content;
          const text = 'stdout' in result ? [result.stdout, result.stderr].filter((part) => part !== '').join('\n') : JSON.stringify(result);
          countInContext(text);
          emit({ type: 'code-result', turn, id: block.tool_use_id, result: undefined, content: text, isError: 'return_code' in result ? result.return_code !== 0 : true });
        }
      }

      if (message.stop_reason === 'pause_turn') continue;
      const uses = message.content.filter((block): block is ToolUseBlock => block.type === 'tool_use');
      if (message.stop_reason !== 'tool_use' || uses.length === 0) {
        status = 'completed';
        break;
      }
      if (uses.some((block) => block.caller !== undefined && block.caller.type !== 'direct')) {
        if (nestedCallBatches >= maxNestedCallBatches) {
          status = 'max_nested_call_batches';
          break;
        }
        nestedCallBatches++;
      }
      const results = await withSpan(turnSpan, () => answerTurn(uses));
      // Replies to pending calls carry only tool_result blocks (required when hosted code waits on them).
      if (results !== undefined) messages.push({ role: 'user', content: results });
    }
  } catch (error) {
    endAgentSpan(agentSpan, { error });
    throw error;
  } finally {
    runtime.abortSignal?.removeEventListener('abort', forwardAbort);
  }

  if (suspension !== undefined) status = 'awaiting_approval';
  const finalMetrics = currentMetrics();
  endAgentSpan(agentSpan, { status, inputTokens: finalMetrics.totalInputTokens, outputTokens: finalMetrics.outputTokens, modelRoundTrips: finalMetrics.modelRoundTrips });
  emit({ type: 'finish', status, text: lastText, metrics: finalMetrics });
  return {
    status,
    text: lastText,
    stopReason: lastStopReason,
    messages,
    toolCalls,
    metrics: finalMetrics,
    ...(suspension === undefined ? {} : { checkpoint: suspension }),
  };
}

// The journal of a suspended code run with the decisions of `resumeAgent` filled in.
function applyDecisions(state: CodeRunState, decisions: Readonly<Record<string, boolean>>): CodeRunState {
  return {
    ...state,
    journal: state.journal.map((entry) => {
      const decision = entry.approval === 'pending' && entry.approvalId !== undefined ? decisions[entry.approvalId] : undefined;
      return decision === undefined ? { ...entry } : { ...entry, approval: decision ? 'approved' : 'denied' };
    }),
  };
}
