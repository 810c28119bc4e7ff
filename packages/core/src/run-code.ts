import { randomUUID } from 'node:crypto';
import { createDispatcher } from './dispatcher.js';
import type { ApprovalRequest } from './dispatcher.js';
import { SandboxConfigurationError, SandboxError } from './errors.js';
import { jsonNestsDeeperThan } from './json.js';
import { maxValueDepth, resolveLimits } from './limits.js';
import type { Limits } from './limits.js';
import type { RunError } from './run-error.js';
import type { RunEvent } from './run-event.js';
import type { RunResult } from './run-result.js';
import type { SandboxEventV1 } from './spec/sandbox-event-v1.js';
import type { SandboxExecuteResultV1 } from './spec/sandbox-execute-result-v1.js';
import type { SandboxLanguage } from './spec/sandbox-language.js';
import type { SandboxV1 } from './spec/sandbox-v1.js';
import { isTool } from './tool.js';
import type { AnyTool, JsonSchemaToolDefinition } from './tool.js';
import type { ToolCallBudget } from './tool-call-budget.js';
import { codecallAttributes, endSpan, otelContext, otelTrace, startSpan } from './telemetry.js';
import { isToolset, toToolset } from './toolset.js';
import type { Toolset } from './toolset.js';
import type { ToolCallRecord } from './trace.js';
import { validateJavaScript } from './validation/validate-javascript.js';
import { resolveValidationPolicy } from './validation/validation-policy.js';
import type { ValidationPolicy } from './validation/validation-policy.js';

/** Options of `runCode`. */
export interface RunCodeOptions {
  /** Where the code runs. */
  sandbox: SandboxV1;
  /** The guest program (see `SandboxExecuteRequestV1.code`). */
  code: string;
  /** Language of `code`. Default `'javascript'`. */
  language?: SandboxLanguage;
  /** Tools guest code may call. Default: none. */
  tools?: Toolset | readonly (AnyTool | JsonSchemaToolDefinition)[];
  /** Limits of this run; defaults in `defaultLimits`. */
  limits?: Limits;
  /** Aborts the run; it then ends with an `ABORTED` error result. */
  abortSignal?: AbortSignal;
  /** Id of the run, e.g. to correlate with a model's tool_use id. Default: a random UUID. */
  executionId?: string;
  /** Decides calls of tools with `needsApproval`. Without it, such calls fail with `DENIED`. */
  onApproval?: (request: ApprovalRequest) => boolean | Promise<boolean>;
  /** Called after every tool call with its trace record. */
  onToolCall?: (record: ToolCallRecord) => void;
  /**
   * Receives the run's events as they happen: `stdout` / `stderr` chunks while the guest writes
   * them (on sandboxes with `capabilities.liveOutput`, which all of codecall's adapters have; on
   * others, once at the end), and `tool-call-start` / `tool-call-end` for every tool call. Errors
   * it throws are ignored. Without it, adapters do not report output until the run ends.
   *
   * @example
   * ```ts
   * await runCode({ sandbox, tools, code, onEvent: (event) => {
   *   if (event.type === 'stdout') process.stdout.write(event.text);
   * } });
   * ```
   */
  onEvent?: (event: RunEvent) => void;
  /**
   * Code validation before the run starts (defense in depth; the sandbox stays the boundary).
   * Default `true`: `defaultValidationPolicy`. `false` turns it off; a `ValidationPolicy` replaces
   * some of the default lists. Refused code ends the run with `VALIDATION_ERROR` and never starts.
   */
  validation?: ValidationPolicy | boolean;
  /**
   * Tool-call limits shared with other runs (`createToolCallBudget`), e.g. every code run and
   * direct call of one agent run. When set, it replaces `limits.maxToolCalls` and
   * `limits.maxConcurrentToolCalls` on the host (an adapter may still refuse calls past the run's
   * own `limits.maxToolCalls`). Default: a budget of this run alone.
   */
  budget?: ToolCallBudget;
}

// How long past its timeout an adapter may take to report before runCode gives up on it.
const adapterGraceMs = 5_000;

// Toolsets made from tool arrays, per array: an agent passes the same array run after run, and
// building the toolset (identifiers, parameter lists) each time was a fifth of a warm run's host
// work. Reused only while the array holds the same tools in the same order, all made by
// defineTool/jsonSchemaTool (frozen); plain JSON Schema definitions can change, so they are
// converted each run.
const toolsetsByArray = new WeakMap<readonly unknown[], { readonly tools: readonly unknown[]; readonly toolset: Toolset }>();

function toolsetOf(tools: RunCodeOptions['tools']): Toolset {
  if (tools === undefined || isToolset(tools) || !Array.isArray(tools)) return toToolset(tools);
  const array = tools as readonly (AnyTool | JsonSchemaToolDefinition)[];
  const cached = toolsetsByArray.get(array);
  if (cached !== undefined && cached.tools.length === array.length && cached.tools.every((tool, index) => tool === array[index])) return cached.toolset;
  const toolset = toToolset(array);
  if (array.every((tool) => isTool(tool) && Object.isFrozen(tool))) toolsetsByArray.set(array, { tools: [...array], toolset });
  return toolset;
}

function utf8Truncate(text: string, maxBytes: number): { text: string; truncated: boolean } {
  if (text.length <= maxBytes && Buffer.byteLength(text) <= maxBytes) return { text, truncated: false };
  const bytes = Buffer.from(text, 'utf8').subarray(0, maxBytes);
  // Drop a trailing partial character instead of emitting U+FFFD.
  return { text: bytes.toString('utf8').replace(/\uFFFD$/, ''), truncated: true };
}

/**
 * Runs model-written code in a sandbox with the given tools and returns its value, output and
 * tool-call trace. Everything the code causes (errors, timeouts, exhausted limits, a crashed
 * guest) comes back as `{ type: 'error' }`; only host faults (bad options, an unusable sandbox)
 * throw a `SandboxError`.
 *
 * @example
 * ```ts
 * const result = await runCode({
 *   sandbox,
 *   tools: [getExpenses],
 *   code: 'const items = await get_expenses({ employeeId: "e1", quarter: "Q3" }); return items.length;',
 * });
 * if (result.type === 'success') console.log(result.value, result.toolCalls.length);
 * ```
 */
export async function runCode(options: RunCodeOptions): Promise<RunResult> {
  const { sandbox } = options;
  if (typeof sandbox !== 'object' || sandbox === null || typeof sandbox.execute !== 'function') {
    throw new SandboxConfigurationError('runCode: options.sandbox must be a Sandbox (e.g. createIsolatedVmSandbox()).');
  }
  if (sandbox.specificationVersion !== 'v1') {
    throw new SandboxConfigurationError(
      `runCode: the sandbox implements specification ${String(sandbox.specificationVersion)}, this @codecall/core supports v1.`,
      { code: 'UNSUPPORTED_SPECIFICATION', sandboxId: sandbox.sandboxId },
    );
  }
  if (typeof options.code !== 'string') throw new SandboxConfigurationError('runCode: options.code must be a string.');
  const language = options.language ?? 'javascript';
  if (!sandbox.capabilities.languages.includes(language)) {
    throw new SandboxConfigurationError(
      `Sandbox ${sandbox.sandboxId} does not run ${language}; it runs ${sandbox.capabilities.languages.join(', ')}.`,
      { code: 'UNSUPPORTED_LANGUAGE', sandboxId: sandbox.sandboxId },
    );
  }
  const tools = toolsetOf(options.tools);
  const limits = resolveLimits(options.limits);
  const executionId = options.executionId ?? randomUUID();
  const validation = resolveValidationPolicy(options.validation);
  if (validation !== undefined && (language === 'javascript' || language === 'typescript')) {
    const checked = validateJavaScript(options.code, language, validation);
    if (checked.type === 'error') {
      return { type: 'error', error: checked.error, executionId, stdout: '', stderr: '', outputTruncated: false, toolCalls: [], durationMs: 0 };
    }
  }

  const controller = new AbortController();
  const forwardAbort = (): void => controller.abort(options.abortSignal?.reason);
  if (options.abortSignal?.aborted) controller.abort(options.abortSignal.reason);
  else options.abortSignal?.addEventListener('abort', forwardAbort, { once: true });

  // One span per run, under whatever span the caller has active (e.g. an agent's model request).
  // Without an OpenTelemetry SDK this is the API's non-recording span and no call makes a span.
  const parentContext = otelContext.active();
  const span = startSpan(`run_code ${language}`, {
    [codecallAttributes.executionId]: executionId,
    [codecallAttributes.sandboxId]: sandbox.sandboxId,
    [codecallAttributes.language]: language,
  }, parentContext);
  const spanContext = span.isRecording() ? otelTrace.setSpan(parentContext, span) : undefined;

  const listener = options.onEvent;
  const emit = listener === undefined ? undefined : (event: RunEvent): void => {
    try {
      listener(event);
    } catch {
      // An observer must not change the run.
    }
  };
  const output = emit === undefined ? undefined : new OutputRelay(executionId, limits.maxOutputBytes, emit);
  const onToolCall = options.onToolCall;
  const dispatcher = createDispatcher({
    tools,
    limits,
    executionId,
    abortSignal: controller.signal,
    ...(options.onApproval === undefined ? {} : { onApproval: options.onApproval }),
    ...(emit === undefined
      ? onToolCall === undefined ? {} : { onToolCall }
      : {
          onToolCallStart: ({ toolCallId, toolName }) => emit({ type: 'tool-call-start', executionId, toolCallId, toolName }),
          onToolCall: (record: ToolCallRecord) => {
            emit({ type: 'tool-call-end', executionId, toolCallId: record.id, toolName: record.name, record });
            onToolCall?.(record);
          },
        }),
    ...(options.budget === undefined ? {} : { budget: options.budget }),
    ...(spanContext === undefined ? {} : { traceContext: spanContext }),
  });

  const start = performance.now();
  let outcome: SandboxExecuteResultV1;
  try {
    if (controller.signal.aborted) {
      outcome = { type: 'error', error: { code: 'ABORTED', name: 'AbortError', message: 'The run was aborted before it started.' }, stdout: '', stderr: '', outputTruncated: false };
    } else {
      outcome = await withBackstop(
        sandbox.execute({
          executionId,
          language,
          code: options.code,
          tools: tools.sandboxTools,
          limits,
          abortSignal: controller.signal,
          callTool: dispatcher.callTool,
          validation,
          ...(output === undefined ? {} : { onEvent: output.onEvent }),
        }),
        limits.timeoutMs + adapterGraceMs,
        controller,
      );
    }
  } catch (error) {
    output?.close();
    endSpan(span, 'SANDBOX_ERROR', error instanceof Error ? error.message : String(error));
    throw SandboxError.isInstance(error)
      ? error
      : new SandboxError(`Sandbox ${sandbox.sandboxId} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error, sandboxId: sandbox.sandboxId });
  } finally {
    dispatcher.close();
    options.abortSignal?.removeEventListener('abort', forwardAbort);
  }
  const durationMs = performance.now() - start;
  const result = finishResult(outcome, limits, executionId, dispatcher.records, durationMs);
  if (output !== undefined) output.finish(result.stdout, result.stderr);
  if (span.isRecording()) {
    span.setAttribute(codecallAttributes.toolCalls, result.toolCalls.length);
    span.setAttribute(codecallAttributes.outputTruncated, result.outputTruncated);
  }
  endSpan(span, result.type === 'error' ? result.error.code : undefined, result.type === 'error' ? result.error.message : undefined);
  return result;
}

function finishResult(outcome: SandboxExecuteResultV1, limits: ReturnType<typeof resolveLimits>, executionId: string, records: readonly ToolCallRecord[], durationMs: number): RunResult {

  // Core enforces output limits again: an adapter bug must not flood the model's context.
  const stdout = utf8Truncate(typeof outcome.stdout === 'string' ? outcome.stdout : '', limits.maxOutputBytes);
  const stderr = utf8Truncate(typeof outcome.stderr === 'string' ? outcome.stderr : '', Math.max(0, limits.maxOutputBytes - Buffer.byteLength(stdout.text)));
  const base = {
    executionId,
    stdout: stdout.text,
    stderr: stderr.text,
    outputTruncated: outcome.outputTruncated === true || stdout.truncated || stderr.truncated,
    toolCalls: [...records].sort((a, b) => a.offsetMs - b.offsetMs),
    durationMs,
  };
  if (outcome.type === 'error') return { type: 'error', error: sanitizeError(outcome.error), ...base };
  const decoded = decodeValue(outcome.valueJson, limits.maxValueBytes);
  return 'error' in decoded ? { type: 'error', error: decoded.error, ...base } : { type: 'success', value: decoded.value, ...base };
}

function decodeValue(valueJson: string | undefined, maxValueBytes: number): { value: unknown } | { error: RunError } {
  if (valueJson === undefined) return { value: undefined };
  if (typeof valueJson !== 'string') {
    return { error: { code: 'SANDBOX_CRASHED', name: 'ProtocolError', message: 'The sandbox reported a malformed return value.' } };
  }
  if (Buffer.byteLength(valueJson) > maxValueBytes) {
    return { error: { code: 'OUTPUT_LIMIT', name: 'OutputLimitError', message: `The return value exceeds limits.maxValueBytes (${maxValueBytes} bytes).` } };
  }
  // A deeper value would overflow the stack of whatever walks it later (a formatter, JSON.stringify).
  if (jsonNestsDeeperThan(valueJson, maxValueDepth)) {
    return { error: { code: 'OUTPUT_LIMIT', name: 'OutputLimitError', message: `The return value nests arrays and objects deeper than ${maxValueDepth} levels.` } };
  }
  try {
    return { value: JSON.parse(valueJson) };
  } catch {
    return { error: { code: 'SANDBOX_CRASHED', name: 'ProtocolError', message: 'The sandbox reported a return value that is not valid JSON.' } };
  }
}

const runErrorCodes = new Set(['SYNTAX_ERROR', 'RUNTIME_ERROR', 'TOOL_ERROR', 'TIMEOUT', 'MEMORY_LIMIT', 'OUTPUT_LIMIT', 'ABORTED', 'SANDBOX_CRASHED', 'VALIDATION_ERROR']);
const validationRules = new Set(['forbidden-import', 'forbidden-name', 'forbidden-attribute', 'dynamic-attribute', 'global-write', 'forbidden-statement']);

// The error comes from the adapter, possibly shaped by guest code: keep only well-formed fields.
function sanitizeError(error: RunError): RunError {
  const code = runErrorCodes.has(error?.code) ? error.code : 'RUNTIME_ERROR';
  const text = (value: unknown, fallback: string, max: number): string => (typeof value === 'string' && value.length > 0 ? value.slice(0, max) : fallback);
  return {
    code,
    name: text(error?.name, 'Error', 200),
    message: text(error?.message, 'The code failed.', 4_000),
    ...(Number.isSafeInteger(error?.line) && (error.line as number) > 0 ? { line: error.line as number } : {}),
    ...(typeof error?.toolErrorCode === 'string' ? { toolErrorCode: error.toolErrorCode.slice(0, 50) } : {}),
    ...(code === 'VALIDATION_ERROR' && validationRules.has(error.validation?.rule as string) && typeof error.validation?.name === 'string'
      ? { validation: { rule: error.validation.rule, name: error.validation.name.slice(0, 200) } }
      : {}),
  };
}

async function withBackstop(
  execution: Promise<SandboxExecuteResultV1>,
  deadlineMs: number,
  controller: AbortController,
): Promise<SandboxExecuteResultV1> {
  let timer: NodeJS.Timeout | undefined;
  const backstop = new Promise<SandboxExecuteResultV1>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({
        type: 'error',
        error: { code: 'TIMEOUT', name: 'TimeoutError', message: 'The sandbox did not stop at its time limit and was abandoned.' },
        stdout: '',
        stderr: '',
        outputTruncated: false,
      });
    }, deadlineMs);
  });
  execution.catch(() => undefined);
  try {
    return await Promise.race([execution, backstop]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Relays the adapter's output chunks to a run's listener: it checks each chunk (the adapter may be
 * buggy or shaped by guest code), keeps the run's `maxOutputBytes` budget, and at the end reports
 * whatever of the result's output was not streamed (all of it for an adapter without
 * `liveOutput`), so that the chunks always add up to the result's `stdout` / `stderr`.
 */
class OutputRelay {
  readonly #executionId: string;
  readonly #emit: (event: RunEvent) => void;
  #bytesLeft: number;
  #closed = false;
  readonly #sent = { stdout: [] as string[], stderr: [] as string[] };

  constructor(executionId: string, maxOutputBytes: number, emit: (event: RunEvent) => void) {
    this.#executionId = executionId;
    this.#bytesLeft = maxOutputBytes;
    this.#emit = emit;
  }

  readonly onEvent = (event: SandboxEventV1): void => {
    if (this.#closed || typeof event !== 'object' || event === null) return;
    const { type, text } = event;
    if ((type !== 'stdout' && type !== 'stderr') || typeof text !== 'string' || text.length === 0 || this.#bytesLeft <= 0) return;
    const kept = utf8Truncate(text, this.#bytesLeft).text;
    if (kept.length === 0) return;
    this.#bytesLeft -= Buffer.byteLength(kept);
    this.#sent[type].push(kept);
    this.#emit({ type, executionId: this.#executionId, text: kept });
  };

  /** Reports what of the final output was not streamed, then ignores further chunks. */
  finish(stdout: string, stderr: string): void {
    this.#closed = true;
    for (const [type, text] of [['stdout', stdout], ['stderr', stderr]] as const) {
      const sent = this.#sent[type].join('');
      // An adapter whose chunks disagree with its result gets no second copy of the output.
      if (text.length > sent.length && text.startsWith(sent)) this.#emit({ type, executionId: this.#executionId, text: text.slice(sent.length) });
    }
  }

  close(): void {
    this.#closed = true;
  }
}
