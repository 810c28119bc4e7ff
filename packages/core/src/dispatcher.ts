import { ToolError } from './errors.js';
import type { ToolErrorCode } from './errors.js';
import { jsonNestsDeeperThan } from './json.js';
import { maxValueDepth, toolCallPreviewBytes } from './limits.js';
import type { ResolvedLimitsV1 } from './spec/resolved-limits-v1.js';
import type { SandboxToolCallV1, SandboxToolResultV1 } from './spec/sandbox-tool-call-v1.js';
import type { ToolExecutionContext } from './tool.js';
import { createToolCallBudget } from './tool-call-budget.js';
import type { ToolCallBudget } from './tool-call-budget.js';
import { codecallAttributes, endSpan, otelContext, otelTrace, recordingContext, startSpan } from './telemetry.js';
import type { OtelContext, OtelSpan } from './telemetry.js';
import type { ToolCallRecord } from './trace.js';
import type { Toolset, ToolsetEntry } from './toolset.js';

/** What an approval callback is asked. */
export interface ApprovalRequest {
  /** Id of the run. */
  readonly executionId: string;
  /** Id of the call. */
  readonly toolCallId: string;
  /** The tool's name. */
  readonly toolName: string;
  /** The validated input. */
  readonly input: unknown;
}

/** Settings of `createDispatcher`. */
export interface DispatcherSettings {
  /** The tools guest code may call. */
  readonly tools: Toolset;
  /** Resolved limits of the run. */
  readonly limits: ResolvedLimitsV1;
  /** Id of the run, handed to every tool. */
  readonly executionId: string;
  /** Fires when the run is aborted; pending calls fail with `ABORTED` and their handlers are signalled. */
  readonly abortSignal?: AbortSignal;
  /** Decides calls of tools with `needsApproval`; without it such calls are denied. */
  readonly onApproval?: (request: ApprovalRequest) => boolean | Promise<boolean>;
  /** Called after each call, successful or not, with its trace record. Errors it throws are ignored. */
  readonly onToolCall?: (record: ToolCallRecord) => void;
  /**
   * Called when a call arrives, before its input is validated, with the call's id and the tool's
   * name as asked (at most 200 characters). Synchronous with `callTool`, so it sees calls in the
   * order the adapter made them. Errors it throws are ignored.
   */
  readonly onToolCallStart?: (start: { readonly toolCallId: string; readonly toolName: string }) => void;
  /**
   * OpenTelemetry context whose span is the parent of each call's `execute_tool` span (and its
   * handler's `tool_handler` span). Default: the context active when the dispatcher is created.
   * Spans are only made when that parent span records (an SDK is registered and the trace is
   * sampled), so a run without tracing pays nothing per call.
   */
  readonly traceContext?: OtelContext;
  /**
   * A budget shared with other dispatchers (`createToolCallBudget`): when set, it counts this
   * dispatcher's calls and holds its running handlers, in place of `limits.maxToolCalls` and
   * `limits.maxConcurrentToolCalls`. Default: a budget of its own, from those two limits.
   */
  readonly budget?: ToolCallBudget;
}

/** Routes guest tool calls to host handlers. */
export interface Dispatcher {
  /** Handles one call; resolves with data, never rejects. */
  readonly callTool: (call: SandboxToolCallV1) => Promise<SandboxToolResultV1>;
  /**
   * Trace of the calls so far, in the order they finished. Calls refused past `maxToolCalls` are
   * recorded once (the first refusal of the budget), so a guest that keeps calling costs no memory
   * here.
   */
  readonly records: readonly ToolCallRecord[];
  /** Ends the run: pending calls fail with `ABORTED`, later calls are refused. */
  readonly close: () => void;
}

const maxMessageLength = 2_000;

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'The tool failed.';
  return message.length > maxMessageLength ? `${message.slice(0, maxMessageLength)}…` : message;
}

function byteLength(text: string): number {
  // Every UTF-16 unit is 1–3 UTF-8 bytes: skip the exact count when the bound already decides.
  return text.length * 3 <= 1_024 ? text.length : Buffer.byteLength(text, 'utf8');
}

/** A value for the trace: itself when its JSON text is short, else a bounded preview of the text. */
function preview(value: unknown, json: string | undefined): { value: unknown; truncated: boolean } {
  if (json === undefined || json.length <= toolCallPreviewBytes / 3 || Buffer.byteLength(json, 'utf8') <= toolCallPreviewBytes) return { value, truncated: false };
  const head = Buffer.from(json.slice(0, toolCallPreviewBytes), 'utf8').subarray(0, toolCallPreviewBytes).toString('utf8').replace(/\uFFFD$/, '');
  return { value: `${head}…`, truncated: true };
}

function copyForApproval(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function listNames(tools: Toolset): string {
  const names = tools.entries.map((entry) => entry.identifier);
  return names.length === 0 ? 'none' : names.length > 30 ? `${names.slice(0, 30).join(', ')}, …` : names.join(', ');
}

// Internal: what the trace record of one call holds while the call runs.
class CallRecordDraft {
  name = '';
  input: unknown = undefined;
  inputTruncated = false;
  approval: 'approved' | 'denied' | undefined = undefined;

  setInput(value: unknown, json: string | undefined): void {
    const shown = preview(value, json);
    this.input = shown.value;
    this.inputTruncated = shown.truncated;
  }
}

// Internal: carries a failed call's code from deep in `dispatch` to the result.
class CallFailure extends Error {
  constructor(
    readonly code: ToolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Creates the dispatcher of one run: it validates input, enforces call limits, concurrency and
 * per-call timeouts, asks for approval, runs the handler, validates and serializes its output, and
 * records a trace. `runCode` creates one per run; adapters only see its `callTool`.
 */
export function createDispatcher(settings: DispatcherSettings): Dispatcher {
  const { tools, limits, executionId } = settings;
  const records: ToolCallRecord[] = [];
  // Stops every handler still running when the run ends.
  const pendingCalls = new Set<() => void>();
  const startedAt = performance.now();
  // Resolved once: without a recording parent span, calls make no spans at all.
  const traceParent = recordingContext(settings.traceContext);
  const budget = settings.budget ?? createToolCallBudget({ maxToolCalls: limits.maxToolCalls, maxConcurrentToolCalls: limits.maxConcurrentToolCalls });
  // Wakes this dispatcher's calls that wait for a place in the (possibly shared) budget when it closes.
  const waiting = new Set<() => void>();
  let callCount = 0;
  let closed = false;

  // Per-call timeouts share one timer: every call of this dispatcher has the same toolTimeoutMs, so
  // deadlines come in start order and the timer only needs to watch the oldest running call (a
  // timer per call cost more than the rest of a trivial call). Map order is start order.
  const deadlines = new Map<() => void, number>();
  let deadlineTimer: NodeJS.Timeout | undefined;
  function armDeadlineTimer(): void {
    for (const deadline of deadlines.values()) {
      deadlineTimer = setTimeout(expireCalls, Math.max(1, deadline - performance.now()));
      return;
    }
    deadlineTimer = undefined;
  }
  function expireCalls(): void {
    const now = performance.now();
    for (const [timeOut, deadline] of deadlines) {
      if (deadline > now) break;
      timeOut();
    }
    armDeadlineTimer();
  }
  function watchDeadline(timeOut: () => void): void {
    deadlines.set(timeOut, performance.now() + limits.toolTimeoutMs);
    // A pending call keeps the process alive, as its own timer would; an idle dispatcher does not.
    if (deadlineTimer === undefined) armDeadlineTimer();
    else if (deadlines.size === 1) deadlineTimer.ref();
  }
  function unwatchDeadline(timeOut: () => void): void {
    deadlines.delete(timeOut);
    if (deadlines.size === 0) deadlineTimer?.unref();
  }

  const onAbort = (): void => close();
  settings.abortSignal?.addEventListener('abort', onAbort, { once: true });

  function close(): void {
    if (closed) return;
    closed = true;
    settings.abortSignal?.removeEventListener('abort', onAbort);
    clearTimeout(deadlineTimer);
    deadlineTimer = undefined;
    for (const stop of [...pendingCalls]) stop();
    for (const wake of [...waiting]) wake();
  }

  // Resolves `true` with a place held, or `false` when the dispatcher closed first (a place handed
  // over later goes straight back to the budget).
  function acquireSlot(): true | Promise<boolean> {
    const slot = budget.acquireSlot();
    if (slot === true) return true;
    return new Promise((resolve) => {
      const wake = (): void => {
        waiting.delete(wake);
        resolve(false);
      };
      waiting.add(wake);
      void slot.then(() => {
        if (waiting.delete(wake)) resolve(true);
        else budget.releaseSlot();
      });
    });
  }

  function limitMessage(): string {
    // A shared budget spans several runs (e.g. one agent run): say so, or the model reads a per-run cap.
    const scope = settings.budget === undefined ? 'a run' : 'the runs sharing this budget (e.g. one agent run)';
    return `Tool call limit reached: ${scope} may make at most ${budget.maxToolCalls} calls (limits.maxToolCalls).`;
  }

  // Runs one handler under the per-call timeout. Kept allocation-light: it is on the path of every
  // call, so the handler's AbortController is only created when the handler reads its signal.
  function runHandler(entry: ToolsetEntry, input: unknown, toolCallId: string, callSpan: OtelSpan | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let controller: AbortController | undefined;
      let endReason: ToolError | undefined;
      const handlerSpan = callSpan === undefined ? undefined : startSpan(`tool_handler ${entry.name}`, { 'gen_ai.tool.name': entry.name, 'gen_ai.tool.call.id': toolCallId }, otelTrace.setSpan(otelContext.active(), callSpan));
      const end = (failure: CallFailure | undefined, value?: unknown): void => {
        if (!pendingCalls.delete(stop)) return;
        unwatchDeadline(timeOut);
        if (handlerSpan !== undefined) endSpan(handlerSpan, failure?.code, failure?.message);
        if (failure === undefined) {
          resolve(value);
          return;
        }
        reject(failure);
        if (failure.code === 'TOOL_TIMEOUT' || failure.code === 'ABORTED') {
          endReason = new ToolError(failure.code, failure.message, { toolName: entry.name });
          controller?.abort(endReason);
        }
      };
      const stop = (): void => end(new CallFailure('ABORTED', 'The run ended before the call finished.'));
      const timeOut = (): void => end(new CallFailure('TOOL_TIMEOUT', `${entry.name} did not finish within toolTimeoutMs (${limits.toolTimeoutMs} ms).`));
      pendingCalls.add(stop);
      watchDeadline(timeOut);
      const context: ToolExecutionContext = {
        executionId,
        toolCallId,
        get abortSignal(): AbortSignal {
          if (controller === undefined) {
            controller = new AbortController();
            if (endReason !== undefined) controller.abort(endReason);
          }
          return controller.signal;
        },
      };
      const fail = (error: unknown): void =>
        end(ToolError.isInstance(error) ? new CallFailure(error.code, messageOf(error)) : new CallFailure('TOOL_FAILED', messageOf(error)));
      try {
        const execute = entry.tool.execute as (input: unknown, context: ToolExecutionContext) => unknown;
        // The handler runs in its span's context, so spans it makes itself nest under it.
        const value = handlerSpan === undefined ? execute(input, context) : otelContext.with(otelTrace.setSpan(otelContext.active(), handlerSpan), () => execute(input, context));
        // A handler that ignores its signal keeps running; its late settlement is ignored.
        if (isThenable(value)) value.then((output) => end(undefined, output), fail);
        else end(undefined, value);
      } catch (error) {
        fail(error);
      }
    });
  }

  async function dispatch(
    entry: ToolsetEntry | undefined,
    call: SandboxToolCallV1,
    record: CallRecordDraft,
    toolCallId: string,
    callNumber: number,
    span: OtelSpan | undefined,
  ): Promise<{ output: unknown; outputJson: string | undefined }> {
    if (closed) throw new CallFailure('ABORTED', 'The run has ended; no more tool calls are accepted.');
    if (callNumber > budget.maxToolCalls) throw new CallFailure('TOOL_CALL_LIMIT', limitMessage());
    if (entry === undefined) {
      throw new CallFailure('UNKNOWN_TOOL', `Unknown tool "${record.name}". Available tools: ${listNames(tools)}.`);
    }
    const inputJson: unknown = call.inputJson;
    if (inputJson !== undefined && typeof inputJson !== 'string') throw new CallFailure('INVALID_INPUT', `The input of ${entry.name} is not JSON text.`);
    if (inputJson !== undefined && byteLength(inputJson) > limits.maxValueBytes) {
      throw new CallFailure('VALUE_TOO_LARGE', `The input of ${entry.name} exceeds limits.maxValueBytes (${limits.maxValueBytes} bytes).`);
    }
    if (inputJson !== undefined && jsonNestsDeeperThan(inputJson, maxValueDepth)) {
      throw new CallFailure('INVALID_INPUT', `The input of ${entry.name} nests arrays and objects deeper than ${maxValueDepth} levels.`);
    }
    let raw: unknown = {};
    if (inputJson !== undefined) {
      try {
        raw = JSON.parse(inputJson);
      } catch {
        throw new CallFailure('INVALID_INPUT', `The input of ${entry.name} is not valid JSON.`);
      }
    }
    record.setInput(raw, inputJson);
    const parsed = entry.tool.parseInput(raw);
    if (!parsed.success) throw new CallFailure('INVALID_INPUT', `Invalid input for ${entry.name}: ${parsed.message}`);
    record.setInput(parsed.data, inputJson);

    const needsApproval = entry.tool.needsApproval;
    if (needsApproval !== false) {
      const required = typeof needsApproval === 'function' ? await needsApproval(parsed.data) : needsApproval;
      if (required) {
        // Only a literal `true` from the host's own callback approves; the callback gets a copy of
        // the input, so what it approved is what the handler receives.
        const answer: unknown =
          settings.onApproval === undefined ? false : await settings.onApproval({ executionId, toolCallId, toolName: entry.name, input: copyForApproval(parsed.data) });
        const approved = answer === true;
        record.approval = approved ? 'approved' : 'denied';
        if (!approved) throw new CallFailure('DENIED', `The call to ${entry.name} was denied${settings.onApproval === undefined ? ' (it needs approval and no onApproval callback is set)' : ''}.`);
      }
    }

    const slot = acquireSlot();
    if (slot !== true && !(await slot)) throw new CallFailure('ABORTED', 'The run ended before the call started.');
    let result: unknown;
    try {
      if (closed) throw new CallFailure('ABORTED', 'The run ended before the call started.');
      result = await runHandler(entry, parsed.data, toolCallId, span);
    } finally {
      budget.releaseSlot();
    }

    const checked = entry.tool.parseOutput(result);
    if (!checked.success) throw new CallFailure('INVALID_OUTPUT', `${entry.name} returned a value that does not match its output schema: ${checked.message}`);
    let outputJson: string | undefined;
    try {
      outputJson = JSON.stringify(checked.data);
    } catch (error) {
      throw new CallFailure('INVALID_OUTPUT', `${entry.name} returned a value JSON cannot express: ${messageOf(error)}`);
    }
    if (outputJson !== undefined && byteLength(outputJson) > limits.maxValueBytes) {
      throw new CallFailure('VALUE_TOO_LARGE', `The output of ${entry.name} exceeds limits.maxValueBytes (${limits.maxValueBytes} bytes).`);
    }
    return { output: checked.data, outputJson };
  }

  async function callTool(call: SandboxToolCallV1): Promise<SandboxToolResultV1> {
    const start = performance.now();
    const startedAtEpoch = Date.now();
    callCount++;
    const toolCallId = `call_${callCount}`;
    const callNumber = budget.countCall();
    // Past the limit (and its one recorded refusal) a call is refused without a trace record: a
    // guest looping on refused calls must not grow the host's memory.
    if (callNumber > budget.maxToolCalls + 1) return { type: 'error', code: 'TOOL_CALL_LIMIT', message: limitMessage() };
    const record = new CallRecordDraft();
    let entry: ToolsetEntry | undefined;
    let result: SandboxToolResultV1;
    let traced: ToolCallRecord;
    let span: OtelSpan | undefined;
    const base = () => ({
      id: toolCallId,
      name: record.name,
      input: record.input,
      ...(record.inputTruncated ? { inputTruncated: true as const } : {}),
      ...(record.approval === undefined ? {} : { approval: record.approval }),
      startedAt: startedAtEpoch,
      offsetMs: start - startedAt,
      durationMs: performance.now() - start,
    });
    try {
      // The call comes from the adapter, possibly shaped by guest code: read each field once, typed.
      const name: unknown = typeof call === 'object' && call !== null ? call.name : undefined;
      if (typeof name === 'string') {
        entry = tools.get(name);
        record.name = entry?.name ?? name.slice(0, 200);
      }
      if (settings.onToolCallStart !== undefined) {
        try {
          settings.onToolCallStart({ toolCallId, toolName: record.name });
        } catch {
          // An observer must not change the outcome of the call.
        }
      }
      if (traceParent !== undefined) {
        span = startSpan(
          `execute_tool ${record.name}`,
          { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': record.name, 'gen_ai.tool.call.id': toolCallId, 'gen_ai.tool.type': 'function', [codecallAttributes.executionId]: executionId },
          traceParent,
        );
      }
      if (typeof name !== 'string') throw new CallFailure('UNKNOWN_TOOL', `A tool call without a tool name. Available tools: ${listNames(tools)}.`);
      const { output, outputJson } = await dispatch(entry, call, record, toolCallId, callNumber, span);
      result = { type: 'success', outputJson };
      const shown = preview(output, outputJson);
      traced = { ...base(), output: shown.value, ...(shown.truncated ? { outputTruncated: true as const } : {}) };
    } catch (error) {
      const failure = error instanceof CallFailure ? error : new CallFailure('TOOL_FAILED', messageOf(error));
      result = { type: 'error', code: failure.code, message: failure.message };
      traced = { ...base(), error: { code: failure.code, message: failure.message } };
    }
    records.push(traced);
    if (span !== undefined) {
      if (record.approval !== undefined) span.setAttribute(codecallAttributes.approval, record.approval);
      endSpan(span, traced.error?.code, traced.error?.message);
    }
    if (settings.onToolCall !== undefined) {
      try {
        settings.onToolCall(traced);
      } catch {
        // An observer must not change the outcome of the call.
      }
    }
    return result;
  }

  return { callTool, records, close };
}
