import { ToolError } from './errors.js';
import type { ToolErrorCode } from './errors.js';
import { CallTrace } from './call-trace.js';
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
   * here. Every read returns the same array, grown by the calls finished since the last read
   * (their records are built then; until then a plain success is kept in a compact form).
   */
  readonly records: readonly ToolCallRecord[];
  /**
   * Ends the run: pending calls fail with `ABORTED`, later calls are refused. Every call received so
   * far is in `records` when it returns (a large value's call whose handler already finished is
   * recorded as its success).
   */
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

/**
 * JSON text of at least this many UTF-16 units (256 Ki; 0.25–0.75 MiB) is parsed, and handed on
 * once serialized, in a task of its own: the host's event loop runs between receiving a large call,
 * parsing its input, and sending its output, rather than being held for all of it at once (about
 * 75 ms for 4 MB each way). Smaller values stay on the synchronous path, which adds no task.
 */
const largeValueUnits = 256 * 1024;

/** Whether JSON text is too long for the trace as a value (then the trace shows `previewText`). */
function isLong(json: string): boolean {
  return json.length > toolCallPreviewBytes / 3 && Buffer.byteLength(json, 'utf8') > toolCallPreviewBytes;
}

/** A bounded preview of long JSON text for the trace. */
function previewText(json: string): string {
  const head = Buffer.from(json.slice(0, toolCallPreviewBytes), 'utf8').subarray(0, toolCallPreviewBytes).toString('utf8').replace(/\uFFFD$/, '');
  return `${head}…`;
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

// Internal: carries a failed call's code from deep in `callTool` to the result.
class CallFailure extends Error {
  constructor(
    readonly code: ToolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// Internal: the context a handler receives. Its AbortController is only made when the handler
// reads `abortSignal` (most handlers never do, and one per call cost more than the rest of a
// trivial call).
class HandlerContext implements ToolExecutionContext {
  readonly executionId: string;
  readonly toolCallId: string;
  #controller: AbortController | undefined = undefined;
  #endReason: ToolError | undefined = undefined;

  constructor(executionId: string, toolCallId: string) {
    this.executionId = executionId;
    this.toolCallId = toolCallId;
  }

  get abortSignal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#endReason !== undefined) this.#controller.abort(this.#endReason);
    }
    return this.#controller.signal;
  }

  static stop(context: HandlerContext, reason: ToolError): void {
    context.#endReason = reason;
    context.#controller?.abort(reason);
  }
}

// Internal: one call, from its arrival to its trace record. It settles through callbacks, not
// an async function: a suspended async function keeps its whole frame on the heap, which made the
// dispatcher the largest allocation per tool call. While its handler runs, the call is also in the
// dispatcher's list of running calls, in start order, which is also deadline order (every call of
// a dispatcher has the same toolTimeoutMs), so one timer watching the oldest call serves them all,
// and adding or removing a call hashes nothing.
class Call {
  toolName = '';
  entry: ToolsetEntry | undefined = undefined;
  /** What the trace shows as input: the parsed text until the schema accepts it, then its output. */
  input: unknown = undefined;
  inputJson: string | undefined = undefined;
  approval: 'approved' | 'denied' | undefined = undefined;
  span: OtelSpan | undefined = undefined;
  handlerSpan: OtelSpan | undefined = undefined;
  context: HandlerContext | undefined = undefined;
  deadline = 0;
  previous: Call | undefined = undefined;
  next: Call | undefined = undefined;
  /** The handler settled or was given up on; a later settlement is ignored. */
  ended = false;

  constructor(
    readonly id: string,
    readonly start: number,
    readonly startedAtEpoch: number,
    readonly resolve: (result: SandboxToolResultV1) => void,
  ) {}
}

type MutableRecord = { -readonly [Key in keyof ToolCallRecord]: ToolCallRecord[Key] };

/**
 * Creates the dispatcher of one run: it validates input, enforces call limits, concurrency and
 * per-call timeouts, asks for approval, runs the handler, validates and serializes its output, and
 * records a trace. `runCode` creates one per run; adapters only see its `callTool`.
 */
export function createDispatcher(settings: DispatcherSettings): Dispatcher {
  const { tools, limits, executionId } = settings;
  const trace = new CallTrace();
  const startedAt = performance.now();
  // Resolved once: without a recording parent span, calls make no spans at all.
  const traceParent = recordingContext(settings.traceContext);
  const budget = settings.budget ?? createToolCallBudget({ maxToolCalls: limits.maxToolCalls, maxConcurrentToolCalls: limits.maxConcurrentToolCalls });
  // Wakes this dispatcher's calls that wait for a place in the (possibly shared) budget when it closes.
  const waiting = new Set<() => void>();
  const onToolCallStart = settings.onToolCallStart;
  const onToolCall = settings.onToolCall;
  let callCount = 0;
  let closed = false;
  // Calls between the steps of a large value (see largeValueUnits): each step's timer, and what
  // close() does for the call instead, so that no call outlives the run unrecorded.
  const deferred = new Map<Call, { readonly timer: NodeJS.Timeout; readonly onClose: () => void }>();
  function defer(call: Call, step: () => void, onClose: () => void): void {
    const timer = setTimeout(() => {
      deferred.delete(call);
      step();
    }, 0);
    deferred.set(call, { timer, onClose });
  }

  // Handlers still running, oldest first; the timer watches the oldest one's deadline.
  let oldest: Call | undefined;
  let newest: Call | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;
  function armDeadlineTimer(now: number): void {
    deadlineTimer = oldest === undefined ? undefined : setTimeout(expireCalls, Math.max(1, oldest.deadline - now));
  }
  function expireCalls(): void {
    const now = performance.now();
    while (oldest !== undefined && oldest.deadline <= now) {
      const call: Call = oldest;
      endCall(call, new CallFailure('TOOL_TIMEOUT', `${call.toolName} did not finish within toolTimeoutMs (${limits.toolTimeoutMs} ms).`), undefined);
    }
    armDeadlineTimer(now);
  }
  function startWatching(call: Call, now: number): void {
    if (newest === undefined) {
      oldest = call;
      newest = call;
      // A running call keeps the process alive, as its own timer would; an idle dispatcher does not.
      if (deadlineTimer === undefined) armDeadlineTimer(now);
      else deadlineTimer.ref();
      return;
    }
    call.previous = newest;
    newest.next = call;
    newest = call;
  }
  function stopWatching(call: Call): void {
    if (call.previous === undefined) oldest = call.next;
    else call.previous.next = call.next;
    if (call.next === undefined) newest = call.previous;
    else call.next.previous = call.previous;
    call.previous = undefined;
    call.next = undefined;
    if (oldest === undefined) deadlineTimer?.unref();
  }
  // Ends a running call once (its handler settled, timed out, or the run ended) and gives its place
  // back; a handler that settles later is ignored.
  function endCall(call: Call, failure: CallFailure | undefined, value: unknown): void {
    if (call.ended) return;
    call.ended = true;
    stopWatching(call);
    if (call.handlerSpan !== undefined) endSpan(call.handlerSpan, failure?.code, failure?.message);
    budget.releaseSlot();
    if (failure === undefined) {
      settleValue(call, value);
      return;
    }
    if (call.context !== undefined && (failure.code === 'TOOL_TIMEOUT' || failure.code === 'ABORTED')) {
      HandlerContext.stop(call.context, new ToolError(failure.code, failure.message, { toolName: call.toolName }));
    }
    settle(call, undefined, failure, undefined);
  }

  const onAbort = (): void => close();
  settings.abortSignal?.addEventListener('abort', onAbort, { once: true });

  function close(): void {
    if (closed) return;
    closed = true;
    settings.abortSignal?.removeEventListener('abort', onAbort);
    clearTimeout(deadlineTimer);
    deadlineTimer = undefined;
    while (oldest !== undefined) endCall(oldest, new CallFailure('ABORTED', 'The run ended before the call finished.'), undefined);
    for (const [call, { timer, onClose }] of [...deferred]) {
      clearTimeout(timer);
      deferred.delete(call);
      onClose();
    }
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

  // Checks and parses the input text; returns the value the trace shows if the schema refuses it.
  function parseRawInput(entry: ToolsetEntry, inputJson: unknown): unknown {
    if (inputJson === undefined) return {};
    if (typeof inputJson !== 'string') throw new CallFailure('INVALID_INPUT', `The input of ${entry.name} is not JSON text.`);
    if (byteLength(inputJson) > limits.maxValueBytes) {
      throw new CallFailure('VALUE_TOO_LARGE', `The input of ${entry.name} exceeds limits.maxValueBytes (${limits.maxValueBytes} bytes).`);
    }
    if (jsonNestsDeeperThan(inputJson, maxValueDepth)) {
      throw new CallFailure('INVALID_INPUT', `The input of ${entry.name} nests arrays and objects deeper than ${maxValueDepth} levels.`);
    }
    try {
      return JSON.parse(inputJson);
    } catch {
      throw new CallFailure('INVALID_INPUT', `The input of ${entry.name} is not valid JSON.`);
    }
  }

  function callTool(request: SandboxToolCallV1): Promise<SandboxToolResultV1> {
    return new Promise((resolve) => receive(request, resolve));
  }

  // Checks a call up to its handler; every path ends in settle (or, past the limit, resolve).
  function receive(request: SandboxToolCallV1, resolve: (result: SandboxToolResultV1) => void): void {
    const start = performance.now();
    const startedAtEpoch = Date.now();
    callCount++;
    const toolCallId = `call_${callCount}`;
    const callNumber = budget.countCall();
    // Past the limit (and its one recorded refusal) a call is refused without a trace record: a
    // guest looping on refused calls must not grow the host's memory.
    if (callNumber > budget.maxToolCalls + 1) {
      resolve({ type: 'error', code: 'TOOL_CALL_LIMIT', message: limitMessage() });
      return;
    }
    const call = new Call(toolCallId, start, startedAtEpoch, resolve);
    let entry: ToolsetEntry | undefined;
    let rawJson: unknown;
    try {
      // The call comes from the adapter, possibly shaped by guest code: read each field once, typed.
      const name: unknown = typeof request === 'object' && request !== null ? request.name : undefined;
      if (typeof name === 'string') {
        entry = tools.get(name);
        call.toolName = entry?.name ?? name.slice(0, 200);
      }
      if (onToolCallStart !== undefined) {
        try {
          onToolCallStart({ toolCallId, toolName: call.toolName });
        } catch {
          // An observer must not change the outcome of the call.
        }
      }
      if (traceParent !== undefined) {
        call.span = startSpan(
          `execute_tool ${call.toolName}`,
          { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': call.toolName, 'gen_ai.tool.call.id': toolCallId, 'gen_ai.tool.type': 'function', [codecallAttributes.executionId]: executionId },
          traceParent,
        );
      }
      if (typeof name !== 'string') throw new CallFailure('UNKNOWN_TOOL', `A tool call without a tool name. Available tools: ${listNames(tools)}.`);
      if (closed) throw new CallFailure('ABORTED', 'The run has ended; no more tool calls are accepted.');
      if (callNumber > budget.maxToolCalls) throw new CallFailure('TOOL_CALL_LIMIT', limitMessage());
      if (entry === undefined) throw new CallFailure('UNKNOWN_TOOL', `Unknown tool "${call.toolName}". Available tools: ${listNames(tools)}.`);
      call.entry = entry;
      rawJson = request.inputJson;
    } catch (error) {
      fail(call, error);
      return;
    }
    const known = entry;
    if (typeof rawJson !== 'string' || rawJson.length < largeValueUnits) {
      if (parseInput(call, known, rawJson)) acceptInput(call, known);
      return;
    }
    // A large input: parse it, then check it and run the handler, each in a task of its own (see
    // largeValueUnits). A run that ends in between refuses the call at once.
    const text = rawJson;
    const refuse = (): void => fail(call, new CallFailure('ABORTED', 'The run ended before the call started.'));
    defer(
      call,
      () => {
        if (parseInput(call, known, text)) defer(call, () => acceptInput(call, known), refuse);
      },
      refuse,
    );
  }

  // Parses a call's input into `call.input`; false (the call failed) when it is not acceptable JSON.
  function parseInput(call: Call, entry: ToolsetEntry, rawJson: unknown): boolean {
    try {
      call.input = parseRawInput(entry, rawJson);
      call.inputJson = rawJson as string | undefined;
      return true;
    } catch (error) {
      fail(call, error);
      return false;
    }
  }

  // Validates the parsed input (`call.input`) against the tool's schema, then asks for approval or runs the handler.
  function acceptInput(call: Call, entry: ToolsetEntry): void {
    let data: unknown;
    try {
      const parsed = entry.tool.parseInput(call.input);
      if (!parsed.success) throw new CallFailure('INVALID_INPUT', `Invalid input for ${entry.name}: ${parsed.message}`);
      data = parsed.data;
      call.input = data;
      if (entry.tool.needsApproval !== false) {
        void approve(call, entry, data);
        return;
      }
    } catch (error) {
      fail(call, error);
      return;
    }
    acquireAndRun(call, data);
  }

  // Asks whether the call needs approval and for it; runs the handler when given.
  async function approve(call: Call, entry: ToolsetEntry, data: unknown): Promise<void> {
    try {
      const needsApproval = entry.tool.needsApproval;
      const required = typeof needsApproval === 'function' ? await needsApproval(data) : needsApproval;
      if (required) {
        // Only a literal `true` from the host's own callback approves; the callback gets a copy of
        // the input, so what it approved is what the handler receives.
        const answer: unknown =
          settings.onApproval === undefined ? false : await settings.onApproval({ executionId, toolCallId: call.id, toolName: entry.name, input: copyForApproval(data) });
        const approved = answer === true;
        call.approval = approved ? 'approved' : 'denied';
        if (!approved) throw new CallFailure('DENIED', `The call to ${entry.name} was denied${settings.onApproval === undefined ? ' (it needs approval and no onApproval callback is set)' : ''}.`);
      }
    } catch (error) {
      fail(call, error);
      return;
    }
    acquireAndRun(call, data);
  }

  function acquireAndRun(call: Call, data: unknown): void {
    const slot = acquireSlot();
    if (slot === true) {
      runHandler(call, data);
      return;
    }
    void slot.then((held) => {
      if (held) runHandler(call, data);
      else fail(call, new CallFailure('ABORTED', 'The run ended before the call started.'));
    });
  }

  // Runs the call's handler, holding a place, under the per-call timeout; endCall gives the place back.
  function runHandler(call: Call, data: unknown): void {
    if (closed) {
      budget.releaseSlot();
      fail(call, new CallFailure('ABORTED', 'The run ended before the call started.'));
      return;
    }
    const entry = call.entry as ToolsetEntry;
    const handlerSpan =
      call.span === undefined
        ? undefined
        : startSpan(`tool_handler ${entry.name}`, { 'gen_ai.tool.name': entry.name, 'gen_ai.tool.call.id': call.id }, otelTrace.setSpan(otelContext.active(), call.span));
    call.handlerSpan = handlerSpan;
    const context = new HandlerContext(executionId, call.id);
    call.context = context;
    const now = performance.now();
    call.deadline = now + limits.toolTimeoutMs;
    startWatching(call, now);
    const failed = (error: unknown): void => endCall(call, ToolError.isInstance(error) ? new CallFailure(error.code, messageOf(error)) : new CallFailure('TOOL_FAILED', messageOf(error)), undefined);
    try {
      const execute = entry.tool.execute as (input: unknown, context: ToolExecutionContext) => unknown;
      // The handler runs in its span's context, so spans it makes itself nest under it.
      const value = handlerSpan === undefined ? execute(data, context) : otelContext.with(otelTrace.setSpan(otelContext.active(), handlerSpan), () => execute(data, context));
      // A handler that ignores its signal keeps running; its late settlement is ignored.
      if (isThenable(value)) value.then((output) => endCall(call, undefined, output), failed);
      else endCall(call, undefined, value);
    } catch (error) {
      failed(error);
    }
  }

  // Checks and serializes what the handler returned.
  function settleValue(call: Call, value: unknown): void {
    const entry = call.entry as ToolsetEntry;
    let outputJson: string | undefined;
    let checked: ReturnType<typeof entry.tool.parseOutput>;
    try {
      checked = entry.tool.parseOutput(value);
      if (!checked.success) throw new CallFailure('INVALID_OUTPUT', `${entry.name} returned a value that does not match its output schema: ${checked.message}`);
      try {
        outputJson = JSON.stringify(checked.data);
      } catch (error) {
        throw new CallFailure('INVALID_OUTPUT', `${entry.name} returned a value JSON cannot express: ${messageOf(error)}`);
      }
      if (outputJson !== undefined && byteLength(outputJson) > limits.maxValueBytes) {
        throw new CallFailure('VALUE_TOO_LARGE', `The output of ${entry.name} exceeds limits.maxValueBytes (${limits.maxValueBytes} bytes).`);
      }
    } catch (error) {
      fail(call, error);
      return;
    }
    const data: unknown = checked.data;
    const success = (): void => settle(call, { type: 'success', outputJson }, undefined, data);
    // Hand a large output to the adapter (which encodes and sends it) in a task of its own; the
    // handler has finished, so a run that ends first records the call as it is.
    if (outputJson !== undefined && outputJson.length >= largeValueUnits) defer(call, success, success);
    else success();
  }

  function fail(call: Call, error: unknown): void {
    settle(call, undefined, error instanceof CallFailure ? error : new CallFailure('TOOL_FAILED', messageOf(error)), undefined);
  }

  // Records the call and hands its result to the adapter.
  function settle(call: Call, success: SandboxToolResultV1 | undefined, failure: CallFailure | undefined, output: unknown): void {
    const result: SandboxToolResultV1 = failure === undefined ? (success as SandboxToolResultV1) : { type: 'error', code: failure.code, message: failure.message };
    let traced: ToolCallRecord | undefined;
    if (onToolCall === undefined && failure === undefined && result.type === 'success' && isPlainSuccess(call, result.outputJson)) {
      trace.addPlain(call.id, call.toolName, call.input, call.startedAtEpoch, call.start - startedAt, performance.now() - call.start, output);
    } else {
      traced = traceRecord(call, result, output, failure);
      trace.add(traced);
    }
    if (call.span !== undefined) {
      if (call.approval !== undefined) call.span.setAttribute(codecallAttributes.approval, call.approval);
      endSpan(call.span, failure?.code, failure?.message);
    }
    if (onToolCall !== undefined && traced !== undefined) {
      try {
        onToolCall(traced);
      } catch {
        // An observer must not change the outcome of the call.
      }
    }
    call.resolve(result);
  }

  // A success whose record shows its input and output as they are (no approval, no preview).
  function isPlainSuccess(call: Call, outputJson: string | undefined): boolean {
    const inputJson = call.inputJson;
    return call.approval === undefined && (inputJson === undefined || !isLong(inputJson)) && (outputJson === undefined || !isLong(outputJson));
  }

  function traceRecord(call: Call, result: SandboxToolResultV1, output: unknown, failure: CallFailure | undefined): ToolCallRecord {
    const inputJson = call.inputJson;
    const outputJson = result.type === 'success' ? result.outputJson : undefined;
    // Keys in the order the trace has always listed them.
    const record = { id: call.id, name: call.toolName, input: call.input } as MutableRecord;
    if (inputJson !== undefined && isLong(inputJson)) {
      record.input = previewText(inputJson);
      record.inputTruncated = true;
    }
    if (call.approval !== undefined) record.approval = call.approval;
    record.startedAt = call.startedAtEpoch;
    record.offsetMs = call.start - startedAt;
    record.durationMs = performance.now() - call.start;
    if (failure !== undefined) {
      record.error = { code: failure.code, message: failure.message };
    } else if (result.type === 'success') {
      if (outputJson !== undefined && isLong(outputJson)) {
        record.output = previewText(outputJson);
        record.outputTruncated = true;
      } else {
        record.output = output;
      }
    }
    return record;
  }

  return {
    callTool,
    get records() {
      return trace.records();
    },
    close,
  };
}
