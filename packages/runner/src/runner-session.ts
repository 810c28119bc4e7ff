import type { RunError, SandboxExecuteRequestV1, SandboxExecuteResultV1, SandboxLanguage } from '@codecall/core';
import { JsonLinesDecoder, encodeRunnerMessage, parseRunnerMessage, runnerProtocolVersion } from './runner-protocol.js';
import type { HostToRunnerMessage, RunnerToHostMessage } from './runner-protocol.js';

/** Which runner program runs a language: `node` for JavaScript and TypeScript, `python` for Python. */
export type RunnerRuntime = 'node' | 'python';

/** The runner program that runs `language`. */
export function runnerRuntimeOf(language: SandboxLanguage): RunnerRuntime {
  return language === 'python' ? 'python' : 'node';
}

/** How a runner's process (or its stream) ended, as far as the transport knows. */
export interface RunnerExit {
  /** Exit code, when it exited normally; `null` when a signal ended it or the transport cannot tell. */
  readonly code: number | null;
  /** Signal that ended it, when one did. */
  readonly signal: string | null;
  /** The last bytes the interpreter wrote to its own stderr (diagnostics, not guest output). */
  readonly stderrTail: string;
  /** Whether the transport knows the process was killed for exceeding its memory limit (a cgroup event). */
  readonly memoryExceeded?: boolean;
}

/** What a run's runner exit means for the guest: `MEMORY_LIMIT` when it ran out of memory, else `SANDBOX_CRASHED`. */
export function describeRunnerExit(runtime: RunnerRuntime, exit: RunnerExit): RunError {
  const tail = exit.stderrTail;
  if (exit.memoryExceeded === true || /JavaScript heap out of memory|Reached heap limit|Allocation failed|MemoryError|Cannot allocate memory/.test(tail)) {
    return { code: 'MEMORY_LIMIT', name: 'MemoryLimitError', message: 'The code ran out of memory (limits.memoryLimitBytes).' };
  }
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : exit.code !== null ? `exited with code ${String(exit.code)}` : 'ended';
  const lastLines = tail.trim().split('\n').slice(-5).join('\n').slice(-1_000);
  return crashed(`The ${runtime} process ${how} before the run finished.${lastLines.length > 0 ? ` Last stderr: ${lastLines}` : ''}`);
}

function crashed(message: string): RunError {
  return { code: 'SANDBOX_CRASHED', name: 'SandboxCrashedError', message };
}

/** Settings of one `RunnerSession`. */
export interface RunnerSessionSettings {
  /** The run, as the adapter received it: code, tools, limits, abort signal and `callTool`. */
  readonly request: SandboxExecuteRequestV1;
  /**
   * Writes protocol bytes to the runner (its input stream). Called with whole lines; the
   * transport may split them further. Never called after the session settled.
   */
  readonly write: (text: string) => void;
  /**
   * Whether the runner should wait for another `start` after this run instead of exiting (a pooled
   * process that serves several runs). Default false: the runner exits after its final message.
   */
  readonly reuse?: boolean;
  /**
   * Whether the runner's `ready` arrives on this stream (a runner started for this run, e.g. an E2B
   * command). Default false: the transport consumed `ready` before the run (a pooled process).
   * Lines that are not protocol messages before `ready` (a login shell's banner) are then ignored.
   */
  readonly expectReady?: boolean;
}

/** What one run of a runner came to. */
export interface RunnerSessionOutcome {
  /** The run's result, with output as the host counted and capped it. */
  readonly result: SandboxExecuteResultV1;
  /**
   * Whether the runner finished the run by the protocol (a final message it was allowed to send).
   * False after a timeout, an abort, a protocol violation or a crash: the transport must end the
   * process and never reuse it.
   */
  readonly clean: boolean;
}

/**
 * The host side of one run on a runner, over any duplex byte stream: it sends `start`, reads the
 * runner's messages, answers tool calls through `request.callTool`, caps output, enforces the run's
 * time limit and assembles the result. A transport (child process, E2B command, container) only
 * moves bytes: it feeds what the runner writes to `receive`, tells `end` when the runner's process
 * or stream ended, and stops the process once `outcome` says it is not clean.
 */
export class RunnerSession {
  /** Settles once with the run's outcome; never rejects. */
  readonly outcome: Promise<RunnerSessionOutcome>;
  readonly #request: SandboxExecuteRequestV1;
  readonly #runtime: RunnerRuntime;
  readonly #write: (text: string) => void;
  readonly #reuse: boolean;
  readonly #decoder: JsonLinesDecoder;
  readonly #stdout: string[] = [];
  readonly #stderr: string[] = [];
  #resolve!: (outcome: RunnerSessionOutcome) => void;
  #outputBytes = 0;
  #outputTruncated = false;
  #ready: boolean;
  #started = false;
  #settled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(settings: RunnerSessionSettings) {
    this.#request = settings.request;
    this.#runtime = runnerRuntimeOf(settings.request.language);
    this.#write = settings.write;
    this.#reuse = settings.reuse === true;
    this.#ready = settings.expectReady !== true;
    const { limits } = settings.request;
    this.#decoder = new JsonLinesDecoder({ maxLineLength: Math.max(limits.maxValueBytes, limits.maxOutputBytes) * 8 + 64 * 1024 });
    this.outcome = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** Whether the runner reported `ready` (always true unless `expectReady`). */
  get isReady(): boolean {
    return this.#ready;
  }

  /** Whether the outcome is decided. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Sends `start` and starts the run's clock (`limits.timeoutMs`). Call once. */
  start(): void {
    if (this.#started || this.#settled) return;
    this.#started = true;
    const request = this.#request;
    const { limits } = request;
    this.#timer = setTimeout(() => {
      this.stop({ code: 'TIMEOUT', name: 'TimeoutError', message: `The code did not finish within limits.timeoutMs (${limits.timeoutMs} ms) and was stopped.` });
    }, limits.timeoutMs);
    this.#send({
      t: 'start',
      v: runnerProtocolVersion,
      language: request.language,
      code: request.code,
      tools: request.tools.map((tool) => ({ name: tool.name, identifier: tool.identifier })),
      limits: { maxValueBytes: limits.maxValueBytes, maxOutputBytes: limits.maxOutputBytes },
      ...(this.#reuse ? { reuse: true } : {}),
    });
  }

  /** Feeds bytes the runner wrote on its protocol stream, in order, whatever the chunk boundaries. */
  receive(chunk: Uint8Array | string): void {
    if (this.#settled) return;
    let lines: string[];
    try {
      lines = this.#decoder.push(chunk);
    } catch {
      this.#violate('sent an oversized message');
      return;
    }
    for (const line of lines) {
      if (this.#settled) return;
      const message = parseRunnerMessage(line);
      if ('violation' in message) {
        // A login shell may print before the runner starts; only the runner's own stream counts.
        if (!this.#ready) continue;
        this.#violate(`broke the protocol: it wrote ${message.violation}`);
        return;
      }
      this.#onMessage(message);
    }
  }

  /** The runner's process or stream ended; what is not finished by then is a crash (or `MEMORY_LIMIT`). */
  end(exit: RunnerExit): void {
    if (this.#settled) return;
    this.#settle({ type: 'error', error: describeRunnerExit(this.#runtime, exit) }, false);
  }

  /** Ends the run from outside (abort, disposal, a transport fault) with `error`; the runner is not clean. */
  stop(error: RunError): void {
    this.#settle({ type: 'error', error }, false);
  }

  #send(message: HostToRunnerMessage): void {
    if (this.#settled) return;
    this.#write(encodeRunnerMessage(message));
  }

  #violate(what: string): void {
    this.#settle({ type: 'error', error: crashed(`The ${this.#runtime} runner ${what}.`) }, false);
  }

  #settle(outcome: { type: 'success'; valueJson: string | undefined } | { type: 'error'; error: RunError }, clean: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    const output = { stdout: this.#stdout.join(''), stderr: this.#stderr.join(''), outputTruncated: this.#outputTruncated };
    const result: SandboxExecuteResultV1 = outcome.type === 'success' ? { type: 'success', valueJson: outcome.valueJson, ...output } : { type: 'error', error: outcome.error, ...output };
    this.#resolve({ result, clean });
  }

  #append(fd: 1 | 2, text: string, truncated: boolean): void {
    if (truncated) this.#outputTruncated = true;
    if (text.length === 0) return;
    const room = this.#request.limits.maxOutputBytes - this.#outputBytes;
    if (room <= 0) {
      this.#outputTruncated = true;
      return;
    }
    const bytes = text.length * 3 <= room ? text.length : Buffer.byteLength(text);
    let kept = text;
    if (bytes > room) {
      kept = Buffer.from(text).subarray(0, room).toString('utf8').replace(/\uFFFD$/, '');
      this.#outputTruncated = true;
    }
    this.#outputBytes += kept === text ? bytes : Buffer.byteLength(kept);
    (fd === 1 ? this.#stdout : this.#stderr).push(kept);
  }

  #onMessage(message: RunnerToHostMessage): void {
    switch (message.t) {
      case 'ready':
        if (this.#ready) this.#violate('broke the protocol (a second "ready")');
        this.#ready = true;
        return;
      case 'out':
        this.#append(message.fd, message.d, message.truncated === true);
        return;
      case 'call': {
        const id = message.id;
        this.#request.callTool({ name: message.name, inputJson: message.input }).then(
          (result) => {
            this.#send(result.type === 'success'
              ? (result.outputJson === undefined ? { t: 'result', id, ok: true } : { t: 'result', id, ok: true, output: result.outputJson })
              : { t: 'result', id, ok: false, code: result.code, message: result.message });
          },
          () => this.#send({ t: 'result', id, ok: false, code: 'TOOL_FAILED', message: 'The tool call failed.' }),
        );
        return;
      }
      case 'done':
        this.#settle({ type: 'success', valueJson: message.value }, true);
        return;
      case 'error':
        this.#settle({ type: 'error', error: message.error }, true);
        return;
      case 'fatal':
        this.#settle({ type: 'error', error: crashed(`The ${this.#runtime} runner gave up: ${message.message.slice(0, 500)}`) }, false);
        return;
    }
  }
}
