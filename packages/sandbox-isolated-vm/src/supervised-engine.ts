import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunError, SandboxExecuteRequestV1, SandboxExecuteResultV1, SandboxToolResultV1 } from '@codecall/core';
import { SandboxStartError } from '@codecall/core';
import type { ChildToHostMessage, HostToChildMessage } from './supervised-protocol.js';

/** Settings of `SupervisedEngine`. */
export interface SupervisedEngineSettings {
  /** Started children kept idle between runs. */
  readonly poolSize: number;
  /** Id used in error messages and handed to the children. */
  readonly sandboxId: string;
  /** Node executable of the children. */
  readonly nodeExecutable: string;
}

interface Worker {
  readonly process: ChildProcess;
  readonly ready: Promise<void>;
  stderrTail: string;
  exited: boolean;
  run: SupervisedRun | undefined;
}

interface SupervisedRun {
  readonly runId: number;
  readonly request: SandboxExecuteRequestV1;
  finished: boolean;
  finish: (result: SandboxExecuteResultV1) => void;
}

// Past the run's own timeout the child has this long to report before it is killed.
const childGraceMs = 2_000;
// After an abort the child has this long to report before it is killed.
const abortGraceMs = 500;
const startTimeoutMs = 15_000;
const stderrTailBytes = 16_384;

function childScript(): string {
  const beside = new URL('./supervisor-child.js', import.meta.url);
  if (existsSync(beside)) return fileURLToPath(beside);
  // Running from src/ (tests): the compiled child lives in dist/.
  return fileURLToPath(new URL('../dist/supervisor-child.js', import.meta.url));
}

function isMessage(value: unknown): value is ChildToHostMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function crashError(worker: Worker, code: number | null, signal: NodeJS.Signals | null): RunError {
  if (/out of memory|CALL_AND_RETRY_LAST|is_heap_oom|invalid size error|Fatal process out of memory/i.test(worker.stderrTail)) {
    return {
      code: 'MEMORY_LIMIT',
      name: 'MemoryLimitError',
      message: 'The code exhausted V8 memory (a fatal out-of-memory that ended its supervised process); the process was replaced. Use less memory.',
    };
  }
  return {
    code: 'SANDBOX_CRASHED',
    name: 'SandboxCrashedError',
    message: `The supervised isolate process ended unexpectedly (${signal === null ? `exit code ${String(code)}` : `signal ${signal}`}); it was replaced.`,
  };
}

function validResult(value: unknown): value is SandboxExecuteResultV1 {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Record<string, unknown>;
  if (typeof result.stdout !== 'string' || typeof result.stderr !== 'string' || typeof result.outputTruncated !== 'boolean') return false;
  if (result.type === 'success') return result.valueJson === undefined || typeof result.valueJson === 'string';
  return result.type === 'error' && typeof result.error === 'object' && result.error !== null;
}

/**
 * Runs guest code in isolates hosted by child Node processes, one run per child at a time, so a
 * fatal V8 error (which aborts a whole process) costs only that run. Tool calls cross the IPC
 * channel as JSON messages; the host keeps its own watchdog and kills a child that stops answering.
 */
export class SupervisedEngine {
  readonly #settings: SupervisedEngineSettings;
  readonly #idle: Worker[] = [];
  readonly #all = new Set<Worker>();
  #nextRunId = 0;
  #disposed = false;

  constructor(settings: SupervisedEngineSettings) {
    this.#settings = settings;
  }

  async execute(request: SandboxExecuteRequestV1, javascript: string): Promise<SandboxExecuteResultV1> {
    const worker = this.#idle.pop() ?? this.#spawn();
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
    try {
      await worker.ready;
    } catch (error) {
      this.#kill(worker);
      if (this.#disposed) return disposedResult;
      throw error;
    }
    if (this.#disposed) {
      this.#kill(worker);
      return disposedResult;
    }
    if (worker.exited) return this.execute(request, javascript);
    return new Promise<SandboxExecuteResultV1>((resolve) => {
      const runId = ++this.#nextRunId;
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
        finished: false,
        finish: (result) => {
          if (run.finished) return;
          run.finished = true;
          clearTimeout(watchdog);
          clearTimeout(abortTimer);
          request.abortSignal.removeEventListener('abort', onAbort);
          worker.run = undefined;
          resolve(result);
          this.#release(worker);
        },
      };
      worker.run = run;
      const watchdog = setTimeout(() => {
        run.finish({ type: 'error', error: { code: 'TIMEOUT', name: 'TimeoutError', message: 'The code did not finish within limits.timeoutMs.' }, stdout: '', stderr: '', outputTruncated: false });
        this.#kill(worker);
      }, request.limits.timeoutMs + childGraceMs);
      request.abortSignal.addEventListener('abort', onAbort, { once: true });
      this.#send(worker, { type: 'run', runId, code: javascript, tools: request.tools.map((tool) => ({ name: tool.name, identifier: tool.identifier })), limits: request.limits });
      if (request.abortSignal.aborted) onAbort();
    });
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#idle.length = 0;
    for (const worker of [...this.#all]) {
      worker.run?.finish({ type: 'error', error: { code: 'ABORTED', name: 'AbortError', message: 'The sandbox was disposed while the code ran.' }, stdout: '', stderr: '', outputTruncated: false });
      this.#kill(worker);
    }
    const exits = [...this.#all].filter((worker) => !worker.exited).map((worker) => new Promise<void>((resolve) => worker.process.once('exit', () => resolve())));
    await Promise.all(exits);
  }

  #spawn(): Worker {
    const child = fork(childScript(), [], {
      execPath: this.#settings.nodeExecutable,
      execArgv: ['--no-node-snapshot'],
      // The child needs no environment; the host's secrets stay out of it even if an isolate is escaped.
      env: { CODECALL_SANDBOX_ID: this.#settings.sandboxId },
      serialization: 'json',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let markReady: () => void = () => undefined;
    let failStart: (error: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    ready.catch(() => undefined);
    const worker: Worker = { process: child, ready, stderrTail: '', exited: false, run: undefined };
    this.#all.add(worker);
    const startTimer = setTimeout(() => failStart(this.#startError('it did not report ready in time')), startTimeoutMs);
    startTimer.unref();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      worker.stderrTail = (worker.stderrTail + chunk).slice(-stderrTailBytes);
    });
    child.on('message', (message: unknown) => {
      if (!isMessage(message)) return;
      if (message.type === 'ready') {
        clearTimeout(startTimer);
        markReady();
      } else if (message.type === 'start-failed') {
        clearTimeout(startTimer);
        failStart(this.#startError(String(message.message)));
      } else this.#onMessage(worker, message);
    });
    child.on('error', (error) => {
      clearTimeout(startTimer);
      failStart(this.#startError(error.message, error));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(startTimer);
      worker.exited = true;
      this.#all.delete(worker);
      const index = this.#idle.indexOf(worker);
      if (index >= 0) this.#idle.splice(index, 1);
      failStart(this.#startError(`it exited with ${signal ?? `code ${String(code)}`}${worker.stderrTail === '' ? '' : `: ${worker.stderrTail.slice(-500)}`}`));
      worker.run?.finish({ type: 'error', error: crashError(worker, code, signal), stdout: '', stderr: '', outputTruncated: false });
      this.#refill();
    });
    this.#ref(worker, false);
    return worker;
  }

  #startError(reason: string, cause?: unknown): SandboxStartError {
    return new SandboxStartError(`Sandbox ${this.#settings.sandboxId} could not start its supervised isolate process: ${reason}`, {
      sandboxId: this.#settings.sandboxId,
      retryable: true,
      ...(cause === undefined ? {} : { cause }),
    });
  }

  #onMessage(worker: Worker, message: ChildToHostMessage): void {
    const run = worker.run;
    if (run === undefined || run.finished) return;
    if (message.type === 'tool-call') {
      if (message.runId !== run.runId || typeof message.callId !== 'number' || typeof message.call !== 'object' || message.call === null) return;
      const name = message.call.name;
      const inputJson = message.call.inputJson;
      if (typeof name !== 'string' || (inputJson !== undefined && typeof inputJson !== 'string')) return;
      const callId = message.callId;
      const settle = (result: SandboxToolResultV1): void => {
        if (!run.finished) this.#send(worker, { type: 'tool-result', runId: run.runId, callId, result });
      };
      run.request.callTool({ name, inputJson }).then(settle, (error: unknown) =>
        settle({ type: 'error', code: 'TOOL_FAILED', message: error instanceof Error ? error.message : 'The tool failed.' }),
      );
    } else if (message.type === 'result' && message.runId === run.runId) {
      run.finish(
        validResult(message.result)
          ? message.result
          : { type: 'error', error: { code: 'SANDBOX_CRASHED', name: 'ProtocolError', message: 'The supervised process reported a malformed result.' }, stdout: '', stderr: '', outputTruncated: false },
      );
    }
  }

  #send(worker: Worker, message: HostToChildMessage): void {
    if (worker.exited || !worker.process.connected) return;
    worker.process.send(message, (error) => {
      if (error !== null && worker.run !== undefined) this.#kill(worker);
    });
  }

  // Idle children must not keep the host process alive.
  #ref(worker: Worker, busy: boolean): void {
    const child = worker.process as ChildProcess & { channel?: { ref(): void; unref(): void } | null };
    const stderr = child.stderr as (NodeJS.ReadableStream & { ref?: () => void; unref?: () => void }) | null;
    if (busy) {
      child.ref();
      child.channel?.ref();
      stderr?.ref?.();
    } else {
      child.unref();
      child.channel?.unref();
      stderr?.unref?.();
    }
  }

  #release(worker: Worker): void {
    if (worker.exited) return;
    if (this.#disposed || this.#idle.length >= this.#settings.poolSize) {
      this.#kill(worker);
      return;
    }
    this.#ref(worker, false);
    this.#idle.push(worker);
  }

  #refill(): void {
    if (this.#disposed) return;
    let busy = 0;
    for (const worker of this.#all) if (worker.run !== undefined) busy++;
    if (this.#all.size - busy >= this.#settings.poolSize) return;
    const worker = this.#spawn();
    this.#idle.push(worker);
  }

  #kill(worker: Worker): void {
    const index = this.#idle.indexOf(worker);
    if (index >= 0) this.#idle.splice(index, 1);
    if (worker.exited) return;
    // Keep the host alive until the exit is observed, so dispose() can wait for it.
    this.#ref(worker, true);
    worker.process.kill('SIGKILL');
  }
}
