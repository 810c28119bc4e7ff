import { createRequire } from 'node:module';
import type IsolatedVmModule from 'isolated-vm';
import type { CachedDataResult, Callback, Context, ExternalCopy, Isolate, Reference, Script } from 'isolated-vm';
import type {
  ResolvedLimitsV1,
  RunError,
  SandboxEventV1,
  SandboxExecuteResultV1,
  SandboxToolCallV1,
  SandboxToolResultV1,
  SandboxToolV1,
} from '@codecall/core';
import { SandboxStartError } from '@codecall/core';
import { buildRunScript } from './guest-code.js';
import { guestFileName, guestPreludeScript, guestPreludeSource, postGlobalName, postKind, postSyncGlobalName } from './guest-prelude.js';

type IsolatedVm = typeof IsolatedVmModule;
type Deliver = (callId: number, ok: boolean, a: unknown, b: string | undefined, watch?: boolean, onThisThread?: boolean) => unknown;

/** One run as the engine sees it: JavaScript source plus the transport-neutral parts of the request. */
export interface EngineRequest {
  /** JavaScript source (TypeScript already stripped). */
  readonly code: string;
  /** Tools to install as globals. */
  readonly tools: readonly SandboxToolV1[];
  /** Resolved limits of the run. */
  readonly limits: ResolvedLimitsV1;
  /** Aborts the run with an `ABORTED` result. */
  readonly abortSignal: AbortSignal;
  /** Forwards a tool call to the host; never rejects. */
  readonly callTool: (call: SandboxToolCallV1) => Promise<SandboxToolResultV1>;
  /** Receives each chunk of output as the guest writes it, after the output budget; absent when nobody listens. */
  readonly onEvent?: ((event: SandboxEventV1) => void) | undefined;
  /**
   * Asked when the run starts and at each tool result: when it returns true, the guest code that
   * follows runs on this thread (isolated-vm's synchronous calls, same isolate, same time limit)
   * until its next await, which saves two thread hops. This thread's event loop waits meanwhile (at
   * most the run's remaining time), so only a process that serves nothing else (a supervised child
   * with this one run) may say true; a host's event loop never. Absent: always on isolated-vm's threads.
   */
  readonly runOnThisThread?: (() => boolean) | undefined;
}

/** Settings of `IsolateEngine`. */
export interface IsolateEngineSettings {
  /** Prepared isolates (each with a fresh context) kept ready; 0 disables pooling. */
  readonly poolSize: number;
  /** Id used in error messages. */
  readonly sandboxId: string;
}

interface Slot {
  readonly isolate: Isolate;
  readonly memoryLimitMb: number;
  /** Runs this isolate has served (each on a fresh context). */
  runs: number;
  context: Context | undefined;
  deliver: Reference<Deliver> | undefined;
  run: ActiveRun | undefined;
  /** Evaluations and applies queued or running in the isolate. */
  pendingOps: number;
  /** The isolate hit a limit or misbehaved: dispose it once nothing is pending, never reuse it. */
  tainted: boolean;
  killTimer: NodeJS.Timeout | undefined;
}

interface ActiveRun {
  readonly request: EngineRequest;
  readonly slot: Slot;
  readonly deadline: number;
  readonly stdout: string[];
  readonly stderr: string[];
  outputBytesLeft: number;
  outputTruncated: boolean;
  /** The outcome is decided; posts and answers are ignored from now on. */
  finished: boolean;
  /** The outcome went to the caller. */
  reported: boolean;
  outcome: SandboxExecuteResultV1 | undefined;
  backstop: NodeJS.Timeout | undefined;
  /** Tool calls posted by the guest and not yet answered. */
  callsInFlight: number;
  /** Deliveries of tool results so far, on isolated-vm's threads. */
  deliveries: number;
  /** A delivery watches the run's end (see #deliver); the ones after it go unanswered. */
  watched: boolean;
  /** Answers waiting for the next batched delivery. */
  readonly batch: (number | boolean | string | undefined)[];
  batchScheduled: boolean;
  /** Guest code run on this thread failed; the failure waits for what the guest posted before it (see #onThisThread). */
  drainingPosts: boolean;
  /**
   * Every entry into the isolate so far ran on this thread: the guest's posts then reach #onPost at
   * once (a synchronous callback), not through the event loop. False for good after the first entry
   * on isolated-vm's threads, whose posts are queued: a later one may not overtake them.
   */
  postsAtOnce: boolean;
  resolve: (result: SandboxExecuteResultV1) => void;
}

// How long a stopped guest may keep an evaluation pending (isolated-vm's own timeout normally ends
// it within milliseconds) before the isolate is disposed under it.
const killGraceMs = 250;
// How long a disposed isolate may take to acknowledge before the run is reported anyway.
const backstopMs = 2_000;
const mebibyte = 1024 * 1024;
// Runs one isolate serves (each on a fresh context) before it is replaced: bounds whatever slowly
// accumulates in isolate-wide state that a context cannot drop.
const maxRunsPerIsolate = 100;
const timeoutMessage = 'Script execution timed out.';
// Deliveries of a run that are answered one by one (isolated-vm's `apply`); the last of them
// watches the run's end, and the ones after it go unanswered (`applyIgnored`, which saves the host a
// promise and a wake-up per call). A run with fewer deliveries works exactly as before; one with
// more pays one extra operation at its end (#watchEnded).
const answeredDeliveries = 8;

let cachedIsolatedVm: IsolatedVm | undefined;
// V8 code cache of the prelude, produced by the first cold start: a new isolate has no compilation
// cache, and compiling the prelude is most of what a cold start adds to raw isolated-vm.
let preludeCodeCache: ExternalCopy<ArrayBuffer> | undefined;

// Engines with live isolates. When the process exits they are disposed first, so isolated-vm's
// threads do not outlive the Node environment during teardown.
const liveEngines = new Set<IsolateEngine>();
let exitHookInstalled = false;

function trackEngine(engine: IsolateEngine): void {
  liveEngines.add(engine);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const live of liveEngines) live.disposeNow();
  });
}

/** Loads the isolated-vm addon on first use, so supervised mode never loads it in the host. */
export function loadIsolatedVm(sandboxId: string): IsolatedVm {
  if (cachedIsolatedVm !== undefined) return cachedIsolatedVm;
  try {
    cachedIsolatedVm = createRequire(import.meta.url)('isolated-vm') as IsolatedVm;
    return cachedIsolatedVm;
  } catch (error) {
    throw new SandboxStartError(
      `Sandbox ${sandboxId} could not load the isolated-vm native addon (${error instanceof Error ? error.message : String(error)}). Reinstall isolated-vm for this Node version (${process.version}).`,
      { cause: error, sandboxId },
    );
  }
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8').subarray(0, Math.max(0, maxBytes));
  return bytes.toString('utf8').replace(/\uFFFD$/, '');
}

function errorResult(run: ActiveRun, error: RunError): SandboxExecuteResultV1 {
  return { type: 'error', error, stdout: run.stdout.join(''), stderr: run.stderr.join(''), outputTruncated: run.outputTruncated };
}

const runErrorCodes: ReadonlySet<string> = new Set(['RUNTIME_ERROR', 'TOOL_ERROR', 'OUTPUT_LIMIT']);

// Reads the error the guest described; the text came out of the isolate, so trust no field.
function parseGuestError(errorJson: unknown): RunError {
  const fallback: RunError = { code: 'SANDBOX_CRASHED', name: 'ProtocolError', message: 'The guest reported a malformed error.' };
  if (typeof errorJson !== 'string' || errorJson.length > 20_000) return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(errorJson);
  } catch {
    return fallback;
  }
  if (typeof parsed !== 'object' || parsed === null) return fallback;
  const fields = parsed as Record<string, unknown>;
  const code = typeof fields.code === 'string' && runErrorCodes.has(fields.code) ? (fields.code as RunError['code']) : 'RUNTIME_ERROR';
  const name = typeof fields.name === 'string' && fields.name.length > 0 ? fields.name.slice(0, 200) : 'Error';
  const message = typeof fields.message === 'string' ? fields.message.slice(0, 4_000) : '';
  const line = typeof fields.line === 'number' && Number.isSafeInteger(fields.line) && fields.line > 0 ? fields.line : undefined;
  const toolErrorCode = code === 'TOOL_ERROR' && typeof fields.toolErrorCode === 'string' ? fields.toolErrorCode.slice(0, 50) : undefined;
  // isolated-vm refuses ArrayBuffer memory past the isolate's limit with this RangeError: memory
  // outside the heap counts against memoryLimitBytes too.
  if (code === 'RUNTIME_ERROR' && name === 'RangeError' && message.startsWith('Array buffer allocation failed')) {
    return { code: 'MEMORY_LIMIT', name: 'MemoryLimitError', message: 'The code exceeded limits.memoryLimitBytes (an ArrayBuffer allocation was refused).', ...(line === undefined ? {} : { line }) };
  }
  return { code, name, message, ...(line === undefined ? {} : { line }), ...(toolErrorCode === undefined ? {} : { toolErrorCode }) };
}

// An evaluation was rejected: a syntax error, a limit, or a disposed isolate. `code` is the run's
// program: a syntax error V8 finds only at the wrapper's closing line (a stray `}`) is reported at
// the program's last line, the nearest line the caller wrote.
function classifyRejection(slot: Slot, error: unknown, fromEvaluation: boolean, code: string): { error: RunError; taint: boolean } {
  const message = error instanceof Error ? String(error.message) : String(error);
  const name = error instanceof Error ? String(error.name) : 'Error';
  if (slot.isolate.isDisposed || /memory limit/i.test(message)) {
    return { error: { code: 'MEMORY_LIMIT', name: 'MemoryLimitError', message: 'The code exceeded limits.memoryLimitBytes.' }, taint: true };
  }
  if (message === timeoutMessage) return { error: timeoutError(), taint: true };
  const located = /^(.*) \[codecall-guest\.js:(\d+):\d+\]$/s.exec(message);
  if (fromEvaluation && name === 'SyntaxError') {
    const line = located?.[2] === undefined ? undefined : Math.min(Number(located[2]), code.split('\n').length);
    return { error: { code: 'SYNTAX_ERROR', name: 'SyntaxError', message: located?.[1] ?? message, ...(line !== undefined && line > 0 ? { line } : {}) }, taint: false };
  }
  // Code outside the wrapper function (it closed the wrapper early) threw at the top level.
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  const frame = /codecall-guest\.js:(\d+):\d+/.exec(stack);
  const line = frame?.[1] === undefined ? undefined : Number(frame[1]);
  return { error: { code: 'RUNTIME_ERROR', name: name.slice(0, 200), message: message.slice(0, 4_000), ...(line !== undefined && line > 0 ? { line } : {}) }, taint: true };
}

function timeoutError(): RunError {
  return { code: 'TIMEOUT', name: 'TimeoutError', message: 'The code did not finish within limits.timeoutMs.' };
}

/**
 * Runs guest code in V8 isolates of this process. Guest code only ever runs on isolated-vm's
 * threads (every entry is an async `eval`/`apply` carrying the remaining time as its timeout), so
 * the event loop of this process stays free. The guest reaches the host through one
 * fire-and-forget callback, and the host settles tool calls by applying a guest-side function
 * asynchronously, so parallel calls stay parallel and the isolate never waits on this thread.
 */
export class IsolateEngine {
  readonly #settings: IsolateEngineSettings;
  readonly #idle: Slot[] = [];
  readonly #busy = new Set<Slot>();
  #preparing = 0;
  /** Slots being prepared, per memory limit in MiB. */
  readonly #preparingByLimit = new Map<number, number>();
  /** Runs waiting for a slot that is being prepared. */
  readonly #waiters: { readonly memoryLimitMb: number; readonly resolve: (slot: Slot | undefined) => void }[] = [];
  #disposed = false;

  constructor(settings: IsolateEngineSettings) {
    this.#settings = settings;
  }

  /** Runs one program; resolves with its result. Rejects only with `SandboxError`s (start failures). */
  async execute(request: EngineRequest): Promise<SandboxExecuteResultV1> {
    const startedAt = performance.now();
    const memoryLimitMb = Math.max(8, Math.ceil(request.limits.memoryLimitBytes / mebibyte));
    // Cold path: prepared synchronously, which saves two thread hops. Only the trusted prelude runs
    // on this thread, never guest code.
    let slot = this.#takeIdle(memoryLimitMb);
    // A context being prepared (usually the fresh one replacing the last run's) is ready sooner
    // than a new isolate: wait for it rather than start cold.
    if (slot === undefined && (this.#preparingByLimit.get(memoryLimitMb) ?? 0) > this.#waiters.filter((waiter) => waiter.memoryLimitMb === memoryLimitMb).length) {
      slot = await new Promise<Slot | undefined>((resolve) => this.#waiters.push({ memoryLimitMb, resolve }));
    }
    if (slot === undefined && this.#disposed) {
      return { type: 'error', error: { code: 'ABORTED', name: 'AbortError', message: 'The sandbox was disposed before the code started.' }, stdout: '', stderr: '', outputTruncated: false };
    }
    slot ??= await this.#prepareSlot(memoryLimitMb, undefined, true);
    this.#busy.add(slot);
    slot.runs++;
    void this.#refill(memoryLimitMb);
    const context = slot.context;
    if (context === undefined || this.#disposed) {
      this.#retire(slot);
      return { type: 'error', error: { code: 'ABORTED', name: 'AbortError', message: 'The sandbox was disposed before the code started.' }, stdout: '', stderr: '', outputTruncated: false };
    }
    return new Promise<SandboxExecuteResultV1>((resolve) => {
      const run: ActiveRun = {
        request,
        slot,
        deadline: startedAt + request.limits.timeoutMs,
        stdout: [],
        stderr: [],
        outputBytesLeft: request.limits.maxOutputBytes,
        outputTruncated: false,
        finished: false,
        reported: false,
        outcome: undefined,
        backstop: undefined,
        callsInFlight: 0,
        deliveries: 0,
        watched: false,
        batch: [],
        batchScheduled: false,
        drainingPosts: false,
        postsAtOnce: false,
        resolve,
      };
      slot.run = run;
      // Guest code behind an unanswered delivery has no isolated-vm timeout of its own (see
      // #deliver): past the deadline nothing but disposing the isolate stops it.
      const watchdog = setTimeout(() => {
        if (!run.drainingPosts) this.#stop(run, timeoutError(), run.watched ? 0 : killGraceMs);
      }, Math.max(0, run.deadline - performance.now()));
      const onAbort = (): void => this.#stop(run, { code: 'ABORTED', name: 'AbortError', message: 'The run was aborted.' }, 0);
      run.resolve = (result) => {
        clearTimeout(watchdog);
        request.abortSignal.removeEventListener('abort', onAbort);
        resolve(result);
      };
      if (request.abortSignal.aborted) {
        onAbort();
        return;
      }
      request.abortSignal.addEventListener('abort', onAbort, { once: true });
      const remaining = run.deadline - performance.now();
      if (remaining <= 0) {
        this.#stop(run, timeoutError(), killGraceMs);
        return;
      }
      slot.pendingOps++;
      const onThisThread = request.runOnThisThread?.() === true;
      run.postsAtOnce = onThisThread;
      const script = buildRunScript(request.code, request.tools, request.limits, onThisThread);
      const evalOptions = { timeout: Math.max(1, Math.ceil(remaining)), filename: guestFileName, lineOffset: -1 };
      if (onThisThread) {
        this.#onThisThread(slot, run, true, () => context.evalSync(script, evalOptions));
        return;
      }
      context
        .eval(script, evalOptions)
        .then(
          () => this.#opSettled(slot),
          (error: unknown) => this.#opFailed(slot, run, error, true),
        );
    });
  }

  /** Prepares pooled isolates for runs with this memory limit; resolves once they are ready (never rejects). */
  async prewarm(memoryLimitMb: number): Promise<void> {
    const prepared: Promise<void>[] = [];
    for (let index = 0; index < this.#settings.poolSize; index++) {
      const preparing = this.#refill(Math.max(8, memoryLimitMb));
      if (preparing !== undefined) prepared.push(preparing);
    }
    await Promise.all(prepared);
  }

  /** Disposes every isolate at once, without waiting; for process exit. */
  disposeNow(): void {
    this.#disposed = true;
    liveEngines.delete(this);
    for (const slot of this.#idle.splice(0)) this.#destroy(slot);
    for (const slot of [...this.#busy]) this.#destroy(slot);
  }

  /** Ends every run in flight with an error result and disposes every isolate. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    liveEngines.delete(this);
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(undefined);
    for (const slot of this.#idle.splice(0)) this.#destroy(slot);
    const busy = [...this.#busy];
    for (const slot of busy) {
      if (slot.run !== undefined) this.#stop(slot.run, { code: 'ABORTED', name: 'AbortError', message: 'The sandbox was disposed while the code ran.' }, 0);
      else this.#retire(slot);
    }
    // Give isolates that are still executing the grace period to stop on their own first.
    const deadline = Date.now() + killGraceMs * 2;
    while ([...this.#busy].some((slot) => !slot.isolate.isDisposed) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const slot of this.#busy) this.#destroy(slot);
    this.#busy.clear();
  }

  #takeIdle(memoryLimitMb: number): Slot | undefined {
    for (let index = this.#idle.length - 1; index >= 0; index--) {
      const slot = this.#idle[index];
      if (slot !== undefined && slot.memoryLimitMb === memoryLimitMb && !slot.isolate.isDisposed) {
        this.#idle.splice(index, 1);
        return slot;
      }
    }
    return undefined;
  }

  #refill(memoryLimitMb: number): Promise<void> | undefined {
    // Busy healthy slots come back to the pool after their run, so they count as pooled.
    let healthyBusy = 0;
    for (const slot of this.#busy) if (!slot.tainted) healthyBusy++;
    if (this.#disposed || this.#idle.length + this.#preparing + healthyBusy >= this.#settings.poolSize) return undefined;
    this.#preparingStarted(memoryLimitMb);
    return this.#prepareSlot(memoryLimitMb).then(
      (slot) => {
        this.#preparingEnded(memoryLimitMb);
        this.#park(slot);
      },
      () => this.#preparingEnded(memoryLimitMb, true),
    );
  }

  #preparingStarted(memoryLimitMb: number): void {
    this.#preparing++;
    this.#preparingByLimit.set(memoryLimitMb, (this.#preparingByLimit.get(memoryLimitMb) ?? 0) + 1);
  }

  #preparingEnded(memoryLimitMb: number, failed = false): void {
    this.#preparing--;
    const left = (this.#preparingByLimit.get(memoryLimitMb) ?? 1) - 1;
    if (left > 0) this.#preparingByLimit.set(memoryLimitMb, left);
    else this.#preparingByLimit.delete(memoryLimitMb);
    // A waiter counted on this slot: let it start cold instead.
    if (failed) this.#wake(memoryLimitMb, undefined);
  }

  #wake(memoryLimitMb: number, slot: Slot | undefined): boolean {
    const index = this.#waiters.findIndex((waiter) => waiter.memoryLimitMb === memoryLimitMb);
    if (index < 0) return false;
    const [waiter] = this.#waiters.splice(index, 1);
    waiter?.resolve(slot);
    return true;
  }

  // Hands a prepared slot to a waiting run, or keeps it for a later one, evicting the oldest one
  // when the pool is full.
  #park(slot: Slot): void {
    if (this.#disposed) {
      this.#destroy(slot);
      return;
    }
    if (this.#wake(slot.memoryLimitMb, slot)) return;
    if (this.#settings.poolSize === 0) {
      this.#destroy(slot);
      return;
    }
    this.#idle.push(slot);
    while (this.#idle.length > this.#settings.poolSize) {
      const evicted = this.#idle.shift();
      if (evicted !== undefined) this.#destroy(evicted);
    }
  }

  async #prepareSlot(memoryLimitMb: number, reuse?: Isolate, synchronous = false, reuseRuns?: number): Promise<Slot> {
    const ivm = loadIsolatedVm(this.#settings.sandboxId);
    trackEngine(this);
    let isolate: Isolate;
    try {
      isolate = reuse ?? new ivm.Isolate({ memoryLimit: memoryLimitMb });
    } catch (error) {
      throw new SandboxStartError(`Sandbox ${this.#settings.sandboxId} could not create an isolate: ${error instanceof Error ? error.message : String(error)}`, { cause: error, sandboxId: this.#settings.sandboxId });
    }
    const slot: Slot = { isolate, memoryLimitMb, runs: reuseRuns ?? 0, context: undefined, deliver: undefined, run: undefined, pendingOps: 0, tainted: false, killTimer: undefined };
    try {
      const context = synchronous ? isolate.createContextSync() : await isolate.createContext();
      const onPost = (kind: unknown, a: unknown, b: unknown, c: unknown): void => {
        const run = slot.run;
        if (run !== undefined && !run.finished) this.#onPost(run, kind, a, b, c);
      };
      const post: Callback = new ivm.Callback(onPost, { ignored: true });
      // Called by guest code that runs on this thread (see ActiveRun.postsAtOnce): the handler runs
      // inside that synchronous call, and nothing of it may reach the guest, not even an exception.
      const postSync: Callback = new ivm.Callback(
        (kind: unknown, a: unknown, b: unknown, c: unknown) => {
          try {
            onPost(kind, a, b, c);
          } catch {
            // #onPost does not throw; should it ever, the run goes on as with a lost post.
          }
        },
        { sync: true },
      );
      let deliver: Reference<Deliver>;
      if (synchronous) {
        // The typings omit what isolated-vm sets on the script for these options.
        const script = isolate.compileScriptSync(guestPreludeScript, {
          filename: 'codecall-prelude.js',
          ...(preludeCodeCache === undefined ? { produceCachedData: true } : { cachedData: preludeCodeCache }),
        }) as Script & CachedDataResult & { cachedDataRejected?: boolean };
        if (preludeCodeCache === undefined) preludeCodeCache = script.cachedData;
        else if (script.cachedDataRejected === true) preludeCodeCache = undefined;
        context.global.setSync(postGlobalName, post);
        context.global.setSync(postSyncGlobalName, postSync);
        deliver = script.runSync(context, { reference: true, timeout: 5_000 }) as Reference<Deliver>;
        script.release();
      } else {
        deliver = (await context.evalClosure(guestPreludeSource, [post, postSync], { result: { reference: true }, filename: 'codecall-prelude.js', timeout: 5_000 })) as Reference<Deliver>;
      }
      slot.context = context;
      slot.deliver = deliver;
      return slot;
    } catch (error) {
      if (!isolate.isDisposed) isolate.dispose();
      throw new SandboxStartError(`Sandbox ${this.#settings.sandboxId} could not prepare an isolate: ${error instanceof Error ? error.message : String(error)}`, { cause: error, sandboxId: this.#settings.sandboxId });
    }
  }

  #onPost(run: ActiveRun, kind: unknown, a: unknown, b: unknown, c: unknown): void {
    switch (kind) {
      case postKind.call:
        if (typeof a === 'number' && typeof b === 'string' && (c === undefined || typeof c === 'string')) this.#callTool(run, a, b, c);
        return;
      case postKind.output:
        if ((a === 1 || a === 2) && typeof b === 'string') this.#write(run, a, b);
        return;
      case postKind.truncated:
        run.outputTruncated = true;
        return;
      case postKind.done:
        if (a === undefined || typeof a === 'string') {
          this.#finish(run, { type: 'success', valueJson: a, stdout: run.stdout.join(''), stderr: run.stderr.join(''), outputTruncated: run.outputTruncated });
        }
        return;
      case postKind.fail:
        this.#finish(run, errorResult(run, parseGuestError(a)));
        return;
      default:
        return;
    }
  }

  #write(run: ActiveRun, fd: 1 | 2, text: string): void {
    if (run.outputBytesLeft <= 0) {
      run.outputTruncated = true;
      return;
    }
    const bytes = utf8Bytes(text);
    let kept = text;
    if (bytes <= run.outputBytesLeft) {
      run.outputBytesLeft -= bytes;
    } else {
      kept = truncateUtf8(text, run.outputBytesLeft);
      run.outputBytesLeft = 0;
      run.outputTruncated = true;
    }
    (fd === 1 ? run.stdout : run.stderr).push(kept);
    // Posts arrive on this thread in the order the guest made them, so a chunk reaches the listener
    // before the tool call the guest makes after writing it.
    if (run.request.onEvent !== undefined && kept.length > 0) run.request.onEvent({ type: fd === 1 ? 'stdout' : 'stderr', text: kept });
  }

  #callTool(run: ActiveRun, callId: number, name: string, inputJson: string | undefined): void {
    run.callsInFlight++;
    const settle = (result: SandboxToolResultV1): void => {
      const concurrent = run.callsInFlight > 1;
      run.callsInFlight--;
      const args: [number, boolean, string | undefined, string | undefined] =
        result.type === 'success' ? [callId, true, result.outputJson, undefined] : [callId, false, String(result.code), String(result.message)];
      if (!concurrent && !run.batchScheduled) {
        this.#deliver(run, args, false);
        return;
      }
      // Several calls in flight: answers that settle in the same turn of the event loop go into
      // the isolate together, one task instead of one per call.
      run.batch.push(...args);
      if (run.batchScheduled) return;
      run.batchScheduled = true;
      setImmediate(() => {
        run.batchScheduled = false;
        const batch = run.batch.splice(0);
        this.#deliver(run, [0, false, batch, undefined], true);
      });
    };
    run.request.callTool({ name, inputJson }).then(settle, (error: unknown) =>
      settle({ type: 'error', code: 'TOOL_FAILED', message: error instanceof Error ? error.message : 'The tool failed.' }),
    );
  }

  #deliver(run: ActiveRun, args: [number, boolean, unknown, string | undefined], copy: boolean): void {
    const { slot } = run;
    if (run.finished || slot.tainted || slot.deliver === undefined || slot.isolate.isDisposed) return;
    const remaining = run.deadline - performance.now();
    if (remaining <= 0) {
      this.#stop(run, timeoutError(), killGraceMs);
      return;
    }
    const timeout = Math.max(1, Math.ceil(remaining));
    const deliver = slot.deliver;
    if (run.request.runOnThisThread?.() === true) {
      slot.pendingOps++;
      const entry: [number, boolean, unknown, string | undefined, boolean, boolean] = [...args, false, run.postsAtOnce];
      this.#onThisThread(slot, run, false, () =>
        copy
          ? deliver.applySync(undefined, entry, { timeout, arguments: { copy: true } })
          : deliver.applySync(undefined, entry as [number, boolean, string | undefined, string | undefined, boolean, boolean], { timeout }),
      );
      return;
    }
    run.postsAtOnce = false;
    if (run.watched) {
      // Unanswered: the watching delivery reports the isolate's death (memory limit), the
      // watchdog a timeout, and it disposes the isolate at once (see execute). No isolated-vm
      // timeout here: each one's timer outlives its operation until its deadline (about 190 bytes
      // per delivery held for up to the run's whole time limit), and it would only duplicate the
      // watchdog.
      if (copy) deliver.applyIgnored(undefined, args, { arguments: { copy: true } });
      else deliver.applyIgnored(undefined, args as [number, boolean, string | undefined, string | undefined]);
      return;
    }
    slot.pendingOps++;
    run.deliveries++;
    if (run.deliveries < answeredDeliveries) {
      const applied = copy
        ? deliver.apply(undefined, args, { timeout, arguments: { copy: true } })
        : deliver.apply(undefined, args as [number, boolean, string | undefined, string | undefined], { timeout });
      applied.then(
        () => this.#opSettled(slot),
        (error: unknown) => this.#opFailed(slot, run, error, false),
      );
      return;
    }
    // The watching delivery: `deliver` returns the promise of the run, which this operation waits
    // for; it fails as soon as the isolate dies.
    run.watched = true;
    const watching = copy
      ? deliver.apply(undefined, [...args, true], { timeout, arguments: { copy: true }, result: { promise: true } })
      : deliver.apply(undefined, [...(args as [number, boolean, string | undefined, string | undefined]), true], { timeout, result: { promise: true } });
    watching.then(
      () => this.#watchEnded(slot, run),
      (error: unknown) => this.#opFailed(slot, run, error, false),
    );
  }

  // The run's promise settled, but the isolate may still execute what the guest queued behind it
  // (an unawaited promise chain), and a run is reported only once its isolate stopped: one more
  // operation, queued behind whatever the isolate is executing, says when it has.
  #watchEnded(slot: Slot, run: ActiveRun): void {
    const { context } = slot;
    if (context === undefined || slot.isolate.isDisposed) {
      this.#opSettled(slot);
      return;
    }
    slot.pendingOps++;
    context.eval('undefined', { timeout: Math.max(1, Math.ceil(run.deadline - performance.now())) }).then(
      () => this.#opSettled(slot),
      (error: unknown) => this.#opFailed(slot, run, error, false),
    );
    this.#opSettled(slot);
  }

  // Runs guest code synchronously on this thread (see EngineRequest.runOnThisThread); settles the
  // operation as the asynchronous path does.
  #onThisThread(slot: Slot, run: ActiveRun, fromEvaluation: boolean, operation: () => unknown): void {
    try {
      operation();
    } catch (error) {
      // What the guest posted before it failed (output, or a result before microtasks spun out its
      // time) reaches this thread in the event loop's poll phase: the failure is handled after
      // it, two check phases on, as on the asynchronous path; the watchdog (timers phase, before
      // poll) stands aside meanwhile.
      run.drainingPosts = true;
      setImmediate(() =>
        setImmediate(() => {
          run.drainingPosts = false;
          this.#opFailed(slot, run, error, fromEvaluation);
        }),
      );
      return;
    }
    this.#opSettled(slot);
  }

  #opSettled(slot: Slot): void {
    slot.pendingOps--;
    if (slot.pendingOps > 0) return;
    const run = slot.run;
    if (run !== undefined && run.finished && !run.reported) this.#report(run);
    else if (run === undefined || run.reported) this.#afterRun(slot);
  }

  #opFailed(slot: Slot, run: ActiveRun, error: unknown, fromEvaluation: boolean): void {
    const classified = classifyRejection(slot, error, fromEvaluation, run.request.code);
    if (classified.taint) slot.tainted = true;
    if (!run.finished) this.#finish(run, errorResult(run, classified.error));
    this.#opSettled(slot);
  }

  // Decides the outcome. It is reported once nothing executes in the isolate any more: a host that
  // calls process.exit() while an isolate still runs can crash (SIGSEGV in isolated-vm 6).
  #finish(run: ActiveRun, result: SandboxExecuteResultV1): void {
    if (run.finished) return;
    run.finished = true;
    run.outcome = result;
    if (run.slot.pendingOps === 0) this.#report(run);
  }

  #report(run: ActiveRun): void {
    if (run.reported || run.outcome === undefined) return;
    run.reported = true;
    const { slot } = run;
    if (slot.killTimer !== undefined) clearTimeout(slot.killTimer);
    slot.killTimer = undefined;
    clearTimeout(run.backstop);
    run.resolve(run.outcome);
    if (slot.pendingOps === 0) this.#afterRun(slot);
  }

  // Ends a run from outside (timeout, abort, dispose) while the guest may still execute: first let
  // isolated-vm's own timeout stop it, then dispose the isolate under it, and report when it stopped.
  #stop(run: ActiveRun, error: RunError, killAfterMs: number): void {
    const { slot } = run;
    slot.tainted = true;
    this.#finish(run, errorResult(run, error));
    if (run.reported || slot.killTimer !== undefined) return;
    slot.killTimer = setTimeout(() => {
      slot.killTimer = undefined;
      this.#destroy(slot);
    }, killAfterMs);
    // Should the isolate never acknowledge its end, report anyway.
    run.backstop = setTimeout(() => this.#report(run), killAfterMs + backstopMs);
  }

  // Called once the run is over and nothing executes in the isolate any more.
  #afterRun(slot: Slot): void {
    if (!this.#busy.has(slot)) return;
    this.#busy.delete(slot);
    slot.run = undefined;
    if (slot.tainted || this.#disposed || this.#settings.poolSize === 0 || slot.isolate.isDisposed) {
      this.#destroy(slot);
      return;
    }
    // A fresh context (on the same isolate, or a new one if this one is worn): nothing the run did
    // to its globals survives. Deferred, with the check of the isolate's heap, so the caller sees
    // the result before this work runs.
    this.#preparingStarted(slot.memoryLimitMb);
    setImmediate(() => this.#recycle(slot));
  }

  // Whether the next run may use this isolate. A fresh context drops the run's globals, but memory
  // the run parked in isolate-wide tables (the Symbol registry) or has not yet given back (large
  // ArrayBuffers, garbage) would be charged to the next run's memory limit: past a quarter of the
  // limit the isolate is retired instead, and so is one that has served many runs.
  #reusable(slot: Slot): boolean {
    if (slot.runs >= maxRunsPerIsolate) return false;
    try {
      const statistics = slot.isolate.getHeapStatisticsSync();
      const used = statistics.used_heap_size + statistics.externally_allocated_size;
      return used <= (slot.memoryLimitMb * mebibyte) / 4;
    } catch {
      return false;
    }
  }

  #recycle(slot: Slot): void {
    const reuse = !this.#disposed && !slot.isolate.isDisposed && this.#reusable(slot);
    if (reuse) this.#releaseContext(slot);
    else this.#destroy(slot);
    if (this.#disposed) {
      this.#preparingEnded(slot.memoryLimitMb, true);
      return;
    }
    // A worn isolate is replaced here, between runs, rather than by the next run's refill.
    this.#prepareSlot(slot.memoryLimitMb, reuse ? slot.isolate : undefined, false, reuse ? slot.runs : 0).then(
      (fresh) => {
        this.#preparingEnded(slot.memoryLimitMb);
        this.#park(fresh);
      },
      () => {
        this.#preparingEnded(slot.memoryLimitMb, true);
        if (!slot.isolate.isDisposed) slot.isolate.dispose();
      },
    );
  }

  #retire(slot: Slot): void {
    this.#busy.delete(slot);
    this.#destroy(slot);
  }

  #releaseContext(slot: Slot): void {
    try {
      slot.deliver?.release();
      slot.context?.release();
    } catch {
      // Already released with its isolate.
    }
    slot.deliver = undefined;
    slot.context = undefined;
  }

  #destroy(slot: Slot): void {
    if (slot.killTimer !== undefined) clearTimeout(slot.killTimer);
    slot.killTimer = undefined;
    this.#busy.delete(slot);
    this.#releaseContext(slot);
    if (!slot.isolate.isDisposed) {
      try {
        slot.isolate.dispose();
      } catch {
        // Disposed concurrently (memory limit).
      }
    }
  }
}
