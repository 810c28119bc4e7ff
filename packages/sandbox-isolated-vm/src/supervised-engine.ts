import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunError, SandboxExecuteRequestV1, SandboxExecuteResultV1, SandboxToolResultV1 } from '@codecall/core';
import { SandboxStartError } from '@codecall/core';
import type { ChildToHostMessage, HostToChildMessage } from './supervised-protocol.js';

/** Settings of `SupervisedEngine`. */
export interface SupervisedEngineSettings {
  /** Children started with the engine and kept alive while idle. */
  readonly poolSize: number;
  /** Most children at once; runs beyond their capacity wait. Default unbounded. */
  readonly maxProcesses?: number;
  /** Runs one child hosts at once, each in its own isolate. Default 1. */
  readonly isolatesPerProcess?: number;
  /** Id used in error messages and handed to the children. */
  readonly sandboxId: string;
  /** Node executable of the children. */
  readonly nodeExecutable: string;
  /** Program of the children; default the package's own `supervisor-child.js` (tests replace it by hostile ones). */
  readonly childScript?: string;
  /** How long a child beyond `poolSize` stays alive while idle, in milliseconds; 0 stops it at once. */
  readonly idleTimeoutMs: number;
}

interface Worker {
  readonly process: ChildProcess;
  readonly input: Writable;
  readonly output: Readable;
  readonly ready: Promise<void>;
  isReady: boolean;
  stderrTail: string;
  exited: boolean;
  /** Killed (its exit not yet seen): takes no more runs. */
  killed: boolean;
  /** Runs in flight in this child, by run id. */
  readonly runs: Map<number, SupervisedRun>;
  /** Bytes the runs in flight allow per message line (the largest of their bounds). */
  lineBound: number;
  /** Stops this idle child if it is still beyond the pool when it fires (see #release). */
  retireTimer: NodeJS.Timeout | undefined;
}

interface SupervisedRun {
  readonly runId: number;
  /** Holds a place in a child that is still starting; it receives no messages. */
  readonly placeholder?: boolean;
  readonly request: SandboxExecuteRequestV1;
  /** Call ids the child has used in this run (each may be used once). */
  readonly callIds: Set<number>;
  /** Output the child streamed (only when the request listens), as the host counted it. */
  readonly streamed: { readonly stdout: string[]; readonly stderr: string[]; bytes: number } | undefined;
  finished: boolean;
  finish: (result: SandboxExecuteResultV1) => void;
}

function placeholderRun(runId: number, request: SandboxExecuteRequestV1): SupervisedRun {
  return { runId, request, placeholder: true, callIds: new Set(), streamed: undefined, finished: false, finish: () => undefined };
}

// Past the run's own timeout the child has this long to report before it is killed.
const childGraceMs = 2_000;
// After an abort the child has this long to report before it is killed.
const abortGraceMs = 500;
// A child that has not reported ready by then (its isolates prepared and one trivial run done) is
// killed and its runs fail with SandboxStartError. Only a bound on a hung start: on a busy 2-core
// machine a child took more than 15 s to prepare four isolates, so this leaves generous slack.
const startTimeoutMs = 60_000;
const stderrTailBytes = 16_384;
// Bound of one message line while no run is active (only "ready" is expected then).
const idleLineBytes = 64 * 1024;
const mebibyte = 1024 * 1024;

// Bound of one message line during a run: a tool call carries at most maxValueBytes of input and a
// result at most maxValueBytes of value plus maxOutputBytes of output; JSON escaping can make each
// byte up to six.
function maxLineBytes(limits: SandboxExecuteRequestV1['limits']): number {
  return 6 * (limits.maxValueBytes + limits.maxOutputBytes) + idleLineBytes;
}

// Data the host may hold for a child that does not read its requests before it is killed.
function maxUnsentBytes(limits: SandboxExecuteRequestV1['limits']): number {
  return 4 * limits.maxValueBytes + 16 * mebibyte;
}

function protocolError(reason: string): RunError {
  return {
    code: 'SANDBOX_CRASHED',
    name: 'ProtocolError',
    message: `The supervised isolate process broke the protocol (${reason}); it was replaced.`,
  };
}

/** Splits a byte stream into lines, refusing any line longer than `maxBytes()` before buffering it. */
function lineSplitter(onLine: (line: string) => void, maxBytes: () => number, onOverflow: () => void): (chunk: Buffer) => void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let stopped = false;
  return (chunk) => {
    let start = 0;
    while (!stopped) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      if (pendingBytes + (end - start) > maxBytes()) {
        stopped = true;
        pending = [];
        onOverflow();
        return;
      }
      if (newline === -1) {
        if (end > start) pending.push(chunk.subarray(start));
        pendingBytes += end - start;
        return;
      }
      const piece = chunk.subarray(start, newline);
      const line = pending.length === 0 ? piece.toString('utf8') : Buffer.concat([...pending, piece]).toString('utf8');
      pending = [];
      pendingBytes = 0;
      start = newline + 1;
      onLine(line);
    }
  };
}

function defaultChildScript(): string {
  const beside = new URL('./supervisor-child.js', import.meta.url);
  if (existsSync(beside)) return fileURLToPath(beside);
  // Running from src/ (tests): the compiled child lives in dist/.
  return fileURLToPath(new URL('../dist/supervisor-child.js', import.meta.url));
}


function crashError(worker: Worker, code: number | null, signal: NodeJS.Signals | null, sharedBy: number): RunError {
  if (/out of memory|CALL_AND_RETRY_LAST|is_heap_oom|invalid size error|Fatal process out of memory/i.test(worker.stderrTail)) {
    return {
      code: 'MEMORY_LIMIT',
      name: 'MemoryLimitError',
      message:
        sharedBy > 1
          ? `A fatal V8 out-of-memory ended the supervised process that hosted this run and ${String(sharedBy - 1)} other run(s) (settings.isolatesPerProcess); one of them exhausted memory. The process was replaced; a run that used little memory can be retried.`
          : 'The code exhausted V8 memory (a fatal out-of-memory that ended its supervised process); the process was replaced. Use less memory.',
    };
  }
  return {
    code: 'SANDBOX_CRASHED',
    name: 'SandboxCrashedError',
    message: `The supervised isolate process ended unexpectedly (${signal === null ? `exit code ${String(code)}` : `signal ${signal}`}); it was replaced.`,
  };
}

// Why a reported result cannot be accepted, or undefined when it can: its shape, and the run's
// value and output budgets, checked here rather than trusted from the child.
function resultProblem(value: unknown, limits: SandboxExecuteRequestV1['limits']): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a malformed result';
  const result = value as Record<string, unknown>;
  if (typeof result.stdout !== 'string' || typeof result.stderr !== 'string' || typeof result.outputTruncated !== 'boolean') return 'a malformed result';
  if (Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr) > limits.maxOutputBytes) return 'output over limits.maxOutputBytes';
  if (result.type === 'success') {
    if (result.valueJson !== undefined && typeof result.valueJson !== 'string') return 'a malformed result';
    if (typeof result.valueJson === 'string' && Buffer.byteLength(result.valueJson) > limits.maxValueBytes) return 'a value over limits.maxValueBytes';
    return undefined;
  }
  return result.type === 'error' && typeof result.error === 'object' && result.error !== null ? undefined : 'a malformed result';
}

/**
 * Runs guest code in isolates hosted by child Node processes started with the engine, up to
 * `isolatesPerProcess` runs per child at once (each in its own isolate and fresh context), so a
 * fatal V8 error (which aborts a whole process) costs only the runs of that child. Tool calls cross a pipe
 * channel as JSON lines (never trusted: sizes, call ids, counts and budgets are checked here); the host
 * keeps its own watchdog and kills a child that stops answering or breaks the protocol.
 */
export class SupervisedEngine {
  readonly #settings: SupervisedEngineSettings;
  readonly #isolatesPerProcess: number;
  readonly #all = new Set<Worker>();
  /** Resolves once the children started with the engine are ready. */
  readonly #ready: Promise<void>;
  #nextRunId = 0;
  #disposed = false;
  /** Runs holding one of the `maxProcesses × isolatesPerProcess` places. */
  #admitted = 0;
  /** Runs waiting for a place, oldest first. */
  readonly #queue: (() => void)[] = [];
  /** Ends each waiting run (with ABORTED), for dispose. */
  readonly #waiting = new Set<() => void>();

  constructor(settings: SupervisedEngineSettings) {
    this.#settings = settings;
    this.#isolatesPerProcess = settings.isolatesPerProcess ?? 1;
    // Started now, not at the first run: a Node process and its isolates take hundreds of milliseconds.
    const started: Promise<void>[] = [];
    for (let index = 0; index < settings.poolSize; index++) started.push(this.#spawn().ready);
    this.#ready = Promise.all(started).then(() => undefined);
    this.#ready.catch(() => undefined);
  }

  /** Resolves once the children started with the engine are ready; rejects with a `SandboxStartError` when one could not start. */
  ready(): Promise<void> {
    return this.#ready;
  }

  async execute(request: SandboxExecuteRequestV1, javascript: string): Promise<SandboxExecuteResultV1> {
    const startedAt = performance.now();
    const admission = await this.#admit(request);
    if (admission !== undefined) return admission;
    try {
      // Time spent waiting for a place counts against the run's own limit.
      const waitedMs = performance.now() - startedAt;
      const remainingMs = Math.max(1, Math.floor(request.limits.timeoutMs - waitedMs));
      const admitted = remainingMs === request.limits.timeoutMs ? request : { ...request, limits: { ...request.limits, timeoutMs: remainingMs } };
      return await this.#executeAdmitted(admitted, javascript);
    } finally {
      this.#leave();
    }
  }

  // Waits for one of the maxProcesses places: undefined once admitted, else the run's result.
  #admit(request: SandboxExecuteRequestV1): Promise<SandboxExecuteResultV1 | undefined> {
    const maxProcesses = this.#settings.maxProcesses ?? Number.POSITIVE_INFINITY;
    const max = maxProcesses * this.#isolatesPerProcess;
    if (this.#admitted < max && this.#queue.length === 0) {
      this.#admitted++;
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      const end = (result: SandboxExecuteResultV1 | undefined): void => {
        clearTimeout(timer);
        request.abortSignal.removeEventListener('abort', onAbort);
        const index = this.#queue.indexOf(admit);
        if (index >= 0) this.#queue.splice(index, 1);
        this.#waiting.delete(onAbort);
        resolve(result);
      };
      const admit = (): void => {
        this.#admitted++;
        end(undefined);
      };
      const failure = (code: 'TIMEOUT' | 'ABORTED', name: string, message: string): SandboxExecuteResultV1 => ({ type: 'error', error: { code, name, message }, stdout: '', stderr: '', outputTruncated: false });
      const onAbort = (): void =>
        end(failure('ABORTED', 'AbortError', this.#disposed ? 'The sandbox was disposed before the code started.' : 'The run was aborted before the code started.'));
      const timer = setTimeout(
        () => end(failure('TIMEOUT', 'TimeoutError', `The code did not start within limits.timeoutMs: all ${String(maxProcesses)} supervised processes (settings.maxProcesses) stayed busy with ${String(this.#isolatesPerProcess)} run(s) each (settings.isolatesPerProcess).`)),
        request.limits.timeoutMs,
      );
      if (request.abortSignal.aborted) {
        onAbort();
        return;
      }
      request.abortSignal.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(admit);
      this.#waiting.add(onAbort);
    });
  }

  #leave(): void {
    this.#admitted--;
    this.#queue.shift()?.();
  }

  // The child for the next run: a ready one with room (the busiest, so idle ones can be retired),
  // else one still starting with room, else a new one.
  #pick(): Worker {
    let best: Worker | undefined;
    for (const worker of this.#all) {
      if (worker.exited || worker.killed || worker.runs.size >= this.#isolatesPerProcess) continue;
      if (best === undefined || (worker.isReady && !best.isReady) || (worker.isReady === best.isReady && worker.runs.size > best.runs.size)) best = worker;
    }
    return best ?? this.#spawn();
  }

  async #executeAdmitted(request: SandboxExecuteRequestV1, javascript: string): Promise<SandboxExecuteResultV1> {
    const worker = this.#pick();
    clearTimeout(worker.retireTimer);
    worker.retireTimer = undefined;
    const runId = ++this.#nextRunId;
    // Holds the place in the child while it starts; replaced by the run below.
    worker.runs.set(runId, placeholderRun(runId, request));
    // A busy child keeps the host alive (an idle one must not).
    this.#ref(worker, true);
    this.#refill();
    const disposedResult: SandboxExecuteResultV1 = {
      type: 'error',
      error: { code: 'ABORTED', name: 'AbortError', message: 'The sandbox was disposed while the code ran.' },
      stdout: '',
      stderr: '',
      outputTruncated: false,
    };
    if (!worker.isReady) {
      try {
        await worker.ready;
      } catch (error) {
        worker.runs.delete(runId);
        this.#kill(worker);
        if (this.#disposed) return disposedResult;
        throw error;
      }
    }
    if (this.#disposed) {
      worker.runs.delete(runId);
      this.#kill(worker);
      return disposedResult;
    }
    if (worker.exited || worker.killed) {
      worker.runs.delete(runId);
      return this.#executeAdmitted(request, javascript);
    }
    return new Promise<SandboxExecuteResultV1>((resolve) => {
      let abortTimer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        this.#send(worker, { type: 'abort', runId });
        abortTimer = setTimeout(() => {
          run.finish({ type: 'error', error: { code: 'ABORTED', name: 'AbortError', message: 'The run was aborted.' }, stdout: '', stderr: '', outputTruncated: false });
          this.#kill(worker);
        }, abortGraceMs);
      };
      const run: SupervisedRun = {
        runId,
        request,
        callIds: new Set(),
        streamed: request.onEvent === undefined ? undefined : { stdout: [], stderr: [], bytes: 0 },
        finished: false,
        finish: (reported) => {
          if (run.finished) return;
          run.finished = true;
          // With streaming, the output is what the host received and relayed, also when the host
          // ends the run itself (timeout, crash): the result then matches the chunks seen.
          const streamed = run.streamed;
          const result = streamed === undefined ? reported : { ...reported, stdout: streamed.stdout.join(''), stderr: streamed.stderr.join('') };
          clearTimeout(watchdog);
          clearTimeout(abortTimer);
          request.abortSignal.removeEventListener('abort', onAbort);
          worker.runs.delete(runId);
          this.#updateLineBound(worker);
          resolve(result);
          this.#release(worker);
        },
      };
      worker.runs.set(runId, run);
      this.#updateLineBound(worker);
      const watchdog = setTimeout(() => {
        run.finish({ type: 'error', error: { code: 'TIMEOUT', name: 'TimeoutError', message: 'The code did not finish within limits.timeoutMs.' }, stdout: '', stderr: '', outputTruncated: false });
        this.#kill(worker);
      }, request.limits.timeoutMs + childGraceMs);
      request.abortSignal.addEventListener('abort', onAbort, { once: true });
      this.#send(worker, {
        type: 'run',
        runId,
        code: javascript,
        tools: request.tools.map((tool) => ({ name: tool.name, identifier: tool.identifier })),
        limits: request.limits,
        ...(request.onEvent === undefined ? {} : { streamOutput: true }),
      });
      if (request.abortSignal.aborted) onAbort();
    });
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const abortWaiting of [...this.#waiting]) abortWaiting();
    for (const worker of [...this.#all]) {
      for (const run of [...worker.runs.values()]) run.finish({ type: 'error', error: { code: 'ABORTED', name: 'AbortError', message: 'The sandbox was disposed while the code ran.' }, stdout: '', stderr: '', outputTruncated: false });
      this.#kill(worker);
    }
    const exits = [...this.#all].filter((worker) => !worker.exited).map((worker) => new Promise<void>((resolve) => worker.process.once('exit', () => resolve())));
    await Promise.all(exits);
  }

  #spawn(): Worker {
    const child = spawn(this.#settings.nodeExecutable, ['--no-node-snapshot', this.#settings.childScript ?? defaultChildScript()], {
      // The child needs no environment; the host's secrets stay out of it even if an isolate is escaped.
      env: { CODECALL_SANDBOX_ID: this.#settings.sandboxId, CODECALL_ISOLATES: String(this.#isolatesPerProcess) },
      // Not Node's IPC channel: it buffers a message of any size before the host could refuse it.
      stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
    });
    const input = child.stdin as Writable;
    const output = child.stdio[3] as Readable;
    // A child that died leaves writes to fail: that is its exit, handled below.
    input.on('error', () => undefined);
    output.on('error', () => undefined);
    let markReady: () => void = () => undefined;
    let failStart: (error: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    ready.catch(() => undefined);
    const worker: Worker = {
      process: child,
      input,
      output,
      ready,
      isReady: false,
      stderrTail: '',
      exited: false,
      killed: false,
      runs: new Map(),
      lineBound: idleLineBytes,
      retireTimer: undefined,
    };
    this.#all.add(worker);
    const startTimer = setTimeout(() => failStart(this.#startError('it did not report ready in time')), startTimeoutMs);
    startTimer.unref();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      worker.stderrTail = (worker.stderrTail + chunk).slice(-stderrTailBytes);
    });
    const onLine = (line: string): void => {
      if (worker.exited) return;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        this.#violation(worker, 'a message that is not JSON');
        return;
      }
      const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
      if (worker.killed) {
        // On its way out. A line it wrote before the kill (a late "ready") must not mark it ready
        // or unref it: dispose() waits for its exit, which must keep the host alive. Only the
        // result of a run still in flight in another of its isolates is taken.
        const runId = typeof message === 'object' && message !== null ? (message as { runId?: unknown }).runId : undefined;
        const run = typeof runId === 'number' ? worker.runs.get(runId) : undefined;
        if (worker.isReady && type === 'result' && run !== undefined && !run.finished && run.placeholder !== true) this.#onMessage(worker, message as ChildToHostMessage);
        return;
      }
      if (!worker.isReady && type === 'ready') {
        worker.isReady = true;
        clearTimeout(startTimer);
        if (worker.runs.size === 0) this.#ref(worker, false);
        markReady();
      } else if (!worker.isReady && type === 'start-failed') {
        clearTimeout(startTimer);
        const reason = (message as { message?: unknown }).message;
        failStart(this.#startError(typeof reason === 'string' ? reason.slice(0, 2_000) : 'it failed to start'));
        this.#kill(worker);
      } else if (worker.isReady && (type === 'tool-call' || type === 'result' || type === 'output')) {
        this.#onMessage(worker, message as ChildToHostMessage);
      } else {
        this.#violation(worker, `an unexpected message${typeof type === 'string' ? ` "${type.slice(0, 40)}"` : ''}`);
      }
    };
    output.on(
      'data',
      lineSplitter(
        onLine,
        () => worker.lineBound,
        () => this.#violation(worker, 'a message over its size bound'),
      ),
    );
    child.on('error', (error) => {
      clearTimeout(startTimer);
      failStart(this.#startError(error.message, error));
      // Never started (e.g. no such executable): there will be no exit event.
      if (child.pid === undefined && !worker.exited) {
        worker.exited = true;
        this.#all.delete(worker);
        for (const run of [...worker.runs.values()]) run.finish({ type: 'error', error: crashError(worker, null, null, worker.runs.size), stdout: '', stderr: '', outputTruncated: false });
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(startTimer);
      clearTimeout(worker.retireTimer);
      worker.exited = true;
      this.#all.delete(worker);
      failStart(this.#startError(`it exited with ${signal ?? `code ${String(code)}`}${worker.stderrTail === '' ? '' : `: ${worker.stderrTail.slice(-500)}`}`));
      const runs = [...worker.runs.values()];
      const error = crashError(worker, code, signal, runs.length);
      for (const run of runs) run.finish({ type: 'error', error, stdout: '', stderr: '', outputTruncated: false });
      this.#refill();
    });
    // A starting child keeps the host alive until it is ready (someone may await ready()); an idle
    // ready one does not.
    this.#ref(worker, true);
    return worker;
  }

  #startError(reason: string, cause?: unknown): SandboxStartError {
    return new SandboxStartError(`Sandbox ${this.#settings.sandboxId} could not start its supervised isolate process: ${reason}`, {
      sandboxId: this.#settings.sandboxId,
      retryable: true,
      ...(cause === undefined ? {} : { cause }),
    });
  }

  // A message of a ready child. Anything that does not fit the run in flight retires the child.
  #onMessage(worker: Worker, message: ChildToHostMessage): void {
    if (worker.runs.size === 0) {
      this.#violation(worker, 'a message while no run was in flight');
      return;
    }
    const fields = message as unknown as Record<string, unknown>;
    const run = typeof fields.runId === 'number' ? worker.runs.get(fields.runId) : undefined;
    if (run === undefined || run.finished || run.placeholder) {
      this.#violation(worker, 'a message for another run');
      return;
    }
    if (message.type === 'output') {
      this.#onOutput(worker, run, fields.fd, fields.text);
      return;
    }
    if (message.type === 'result') {
      const problem = resultProblem(fields.result, run.request.limits);
      if (problem !== undefined) this.#violation(worker, problem);
      else run.finish(fields.result as SandboxExecuteResultV1);
      return;
    }
    const callId = fields.callId;
    const call = fields.call;
    if (typeof callId !== 'number' || !Number.isSafeInteger(callId) || callId <= 0 || run.callIds.has(callId)) {
      this.#violation(worker, 'a tool call id that is not new');
      return;
    }
    // The guest refuses calls past maxToolCalls + 1 itself; more come only from a forged channel.
    if (run.callIds.size >= run.request.limits.maxToolCalls + 1) {
      this.#violation(worker, 'more tool calls than limits.maxToolCalls');
      return;
    }
    const name = typeof call === 'object' && call !== null ? (call as { name?: unknown }).name : undefined;
    const inputJson = typeof call === 'object' && call !== null ? (call as { inputJson?: unknown }).inputJson : undefined;
    if (typeof name !== 'string' || name.length > 10_000 || (inputJson !== undefined && typeof inputJson !== 'string')) {
      this.#violation(worker, 'a malformed tool call');
      return;
    }
    run.callIds.add(callId);
    const settle = (result: SandboxToolResultV1): void => {
      if (!run.finished) this.#send(worker, { type: 'tool-result', runId: run.runId, callId, result });
    };
    run.request.callTool({ name, inputJson }).then(settle, (error: unknown) =>
      settle({ type: 'error', code: 'TOOL_FAILED', message: error instanceof Error ? error.message : 'The tool failed.' }),
    );
  }

  // A chunk of output: checked against the run's budget here (the child is not trusted), then relayed.
  #onOutput(worker: Worker, run: SupervisedRun, fd: unknown, text: unknown): void {
    const streamed = run.streamed;
    if (streamed === undefined) {
      this.#violation(worker, 'output the host did not ask for');
      return;
    }
    if ((fd !== 1 && fd !== 2) || typeof text !== 'string' || text.length === 0) {
      this.#violation(worker, 'a malformed output message');
      return;
    }
    streamed.bytes += Buffer.byteLength(text);
    if (streamed.bytes > run.request.limits.maxOutputBytes) {
      this.#violation(worker, 'output over limits.maxOutputBytes');
      return;
    }
    (fd === 1 ? streamed.stdout : streamed.stderr).push(text);
    run.request.onEvent?.({ type: fd === 1 ? 'stdout' : 'stderr', text });
  }

  // The child broke the protocol: its runs fail and the child is killed, never reused.
  #violation(worker: Worker, reason: string): void {
    for (const run of [...worker.runs.values()]) run.finish({ type: 'error', error: protocolError(reason), stdout: '', stderr: '', outputTruncated: false });
    this.#kill(worker);
  }

  #updateLineBound(worker: Worker): void {
    let bound = idleLineBytes;
    for (const run of worker.runs.values()) bound = Math.max(bound, maxLineBytes(run.request.limits));
    worker.lineBound = bound;
  }

  #send(worker: Worker, message: HostToChildMessage): void {
    if (worker.exited || worker.input.destroyed) return;
    worker.input.write(`${JSON.stringify(message)}\n`);
    // A child that does not read its requests must not make the host hold unbounded data for it.
    if (worker.input.writableLength > 16 * mebibyte) {
      let allowed = 0;
      for (const run of worker.runs.values()) allowed += maxUnsentBytes(run.request.limits);
      if (worker.input.writableLength > allowed) this.#violation(worker, 'it stopped reading its requests');
    }
  }

  // Idle children must not keep the host process alive; a killed one does until its exit is seen.
  #ref(worker: Worker, busy: boolean): void {
    if (!busy && worker.killed) return;
    const child = worker.process;
    type Handle = { ref?: () => void; unref?: () => void } | null;
    const streams = [child.stderr, worker.input, worker.output] as unknown as Handle[];
    if (busy) {
      child.ref();
      for (const stream of streams) stream?.ref?.();
    } else {
      child.unref();
      for (const stream of streams) stream?.unref?.();
    }
  }

  #release(worker: Worker): void {
    if (worker.exited || worker.runs.size > 0) return;
    if (this.#disposed || this.#settings.poolSize === 0) {
      this.#kill(worker);
      return;
    }
    this.#ref(worker, false);
    if (!this.#surplus(worker)) return;
    // Beyond the pool: a child started for a run beyond it (#refill). Stopping it at once would
    // make every run of a busy pool start a process (with one run per child, each run takes the
    // only idle child, so a spare starts, and the run's own child was then killed at its end):
    // it stays while runs keep coming, and goes after idleTimeoutMs without one.
    const { idleTimeoutMs } = this.#settings;
    if (idleTimeoutMs === 0) {
      this.#kill(worker);
      return;
    }
    clearTimeout(worker.retireTimer);
    worker.retireTimer = setTimeout(() => {
      worker.retireTimer = undefined;
      if (!worker.exited && !worker.killed && worker.runs.size === 0 && this.#surplus(worker)) this.#kill(worker);
    }, idleTimeoutMs);
    worker.retireTimer.unref();
  }

  // Whether this idle child is beyond the pool: poolSize other children are idle too, and no run
  // waits for a place (a released child is then kept for it: a cold start costs hundreds of ms).
  #surplus(worker: Worker): boolean {
    if (this.#queue.length > 0) return false;
    let idle = 0;
    for (const other of this.#all) if (other !== worker && !other.exited && !other.killed && other.runs.size === 0) idle++;
    return idle >= this.#settings.poolSize;
  }

  // Keeps poolSize children alive, and one with room for a run started ahead of need while some are busy.
  #refill(): void {
    if (this.#disposed || this.#settings.poolSize === 0) return;
    let live = 0;
    let room = 0;
    for (const worker of this.#all) {
      if (worker.exited || worker.killed) continue;
      live++;
      room += this.#isolatesPerProcess - worker.runs.size;
    }
    const maxProcesses = this.#settings.maxProcesses ?? Number.POSITIVE_INFINITY;
    if ((live < this.#settings.poolSize || room === 0) && live < maxProcesses) this.#spawn();
  }

  #kill(worker: Worker): void {
    clearTimeout(worker.retireTimer);
    worker.retireTimer = undefined;
    if (worker.exited) return;
    worker.killed = true;
    // Keep the host alive until the exit is observed, so dispose() can wait for it.
    this.#ref(worker, true);
    worker.process.kill('SIGKILL');
  }
}
