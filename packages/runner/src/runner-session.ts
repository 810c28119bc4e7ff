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
   * With `reuse`: the request is the host's own code, not a guest's (`start.trusted`), and the
   * runner may write `idle` without undoing or checking what it changed. For a rehearsal of a
   * runner whose next run is its last (a one-shot pool): the node runner then skips the baseline
   * that only a further reused run needs, about 20 ms of CPU per runner. Ignored without `reuse`.
   * Default false.
   */
  readonly trusted?: boolean;
  /**
   * Whether the runner's `ready` arrives on this stream (a runner started for this run, e.g. an E2B
   * command). Default false: the transport consumed `ready` before the run (a pooled process).
   * Lines that are not protocol messages before `ready` (a login shell's banner) are then ignored.
   */
  readonly expectReady?: boolean;
  /**
   * How long the runner may take to end (one-shot: its process exits or its stream closes; reuse:
   * it reports `idle`) after its final message, in milliseconds. A runner still going after that is
   * not trusted: a one-shot run ends as `SANDBOX_CRASHED`; a reused runner's result stands (it
   * counted at the final message) but the outcome is not clean. Default 5,000 (an honest runner
   * needs a few ms).
   */
  readonly exitGraceMs?: number;
  /**
   * One-shot only (ignored with `reuse`): a transport that can end the runner itself passes this,
   * and the session calls it the moment the runner's final message arrives, then settles at once
   * instead of waiting for the runner to exit by itself. It must stop the runner's process and
   * everything it started before it returns (e.g. SIGKILL to its process group, jail and cgroup;
   * reaping may follow in the background), so that nothing of the run outlives its result: a guest
   * that forged the final message and keeps running is stopped there, exactly as if it had returned
   * that value itself. Default none: the result counts once `end` is called within `exitGraceMs`.
   */
  readonly endRunner?: () => void;
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
  /** Bytes the runner wrote after its final message; dropped, never part of the result. */
  readonly discardedBytes: number;
  /** Tool calls the session forwarded to `request.callTool`. */
  readonly forwardedCalls: number;
  /** Tool calls the session refused itself (past `maxToolCalls`). */
  readonly refusedCalls: number;
}

// Calls refused past `maxToolCalls` before the run is ended: a guest that keeps making them is
// looping, and every call costs the host a parse and an answer. (A call with an input over
// `maxValueBytes` is never refused: a runner refuses those itself, so one on the stream is forged,
// and it ends the run. Each could hold the host's thread for the parse of a line near the bound.)
const maxRefusedCalls = 100;

/**
 * Largest line a runner may write for a run with these limits, in bytes: the largest line an honest
 * runner writes, and so the longest parse a guest can make the host do.
 */
export function runnerMaxLineBytes(limits: { readonly maxValueBytes: number; readonly maxOutputBytes: number }): number {
  // A value (an input, a return value) travels as JSON text of at most maxValueBytes inside a JSON
  // string. That text holds no control characters, so quoting at most triples it: `"` and `\` take
  // two bytes, and a runner that escapes non-ASCII to \uXXXX writes six for a two-byte character
  // (twelve for a four-byte one). Output text is any text: a control character takes six (\u0001).
  return Math.max(limits.maxValueBytes * 3, limits.maxOutputBytes * 6) + 64 * 1024;
}

type Phase = 'starting' | 'running' | 'finishing' | 'settled';

/**
 * The host side of one run on a runner, over any duplex byte stream: it sends `start`, reads the
 * runner's messages, answers tool calls through `request.callTool`, caps output, enforces the run's
 * time limit and assembles the result. A transport (child process, E2B command, container) only
 * moves bytes: it feeds what the runner writes to `receive`, tells `end` when the runner's process
 * or stream ended, and stops the process once `outcome` says it is not clean.
 *
 * Every message is hostile: guest code can write to the protocol stream or drive the runner's own
 * functions. The session bounds what a message can make the host do: line size (`runnerMaxLineBytes`),
 * message shape (`runnerMessageBounds`), call ids (1, 2, 3… per run; anything else ends the run),
 * tool names (only the run's tools), calls (`maxToolCalls` forwarded, a few more refused, then the
 * run ends), input, value and output sizes (counted here, never taken from the runner), and the
 * final message: a one-shot runner's result counts only once the runner has ended within
 * `exitGraceMs`, or at once when the transport ends the runner itself on the final message
 * (`endRunner`); a reused runner's (trusted code, `reuse`) counts at once (`result`), and the
 * runner serves another run only if it reports `idle` within `exitGraceMs` with nothing in
 * between. What arrives after the final message is dropped and counted.
 */
export class RunnerSession {
  /** Settles once with the run's outcome; never rejects. */
  readonly outcome: Promise<RunnerSessionOutcome>;
  /**
   * Settles once with the run's result as soon as it is decided, never later than `outcome`; never
   * rejects. With `reuse` that is the runner's final message: the guest's value, error and output
   * are fixed then (nothing it does afterwards is forwarded), while the runner still puts its
   * process back in order; `outcome` follows when it reports `idle` (or fails to), with this same
   * result, and says whether the runner may serve another run. Otherwise it settles with `outcome`.
   */
  readonly result: Promise<SandboxExecuteResultV1>;
  readonly #request: SandboxExecuteRequestV1;
  readonly #runtime: RunnerRuntime;
  readonly #write: (text: string) => void;
  readonly #reuse: boolean;
  readonly #trusted: boolean;
  readonly #exitGraceMs: number;
  readonly #endRunner: (() => void) | undefined;
  readonly #decoder: JsonLinesDecoder;
  readonly #maxLineBytes: number;
  readonly #toolNames: ReadonlySet<string>;
  readonly #stdout: string[] = [];
  readonly #stderr: string[] = [];
  #resolve!: (outcome: RunnerSessionOutcome) => void;
  #resolveResult!: (result: SandboxExecuteResultV1) => void;
  /** The result handed out at the final message (reuse), which `outcome` then carries too. */
  #earlyResult: SandboxExecuteResultV1 | undefined;
  #phase: Phase = 'starting';
  #final: { type: 'success'; valueJson: string | undefined } | { type: 'error'; error: RunError } | undefined;
  #outputBytes = 0;
  #outputTruncated = false;
  #ready: boolean;
  #lastCallId = 0;
  #forwardedCalls = 0;
  #refusedCalls = 0;
  #discardedBytes = 0;
  #ignoredOutputBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(settings: RunnerSessionSettings) {
    this.#request = settings.request;
    this.#runtime = runnerRuntimeOf(settings.request.language);
    this.#write = settings.write;
    this.#reuse = settings.reuse === true;
    this.#trusted = this.#reuse && settings.trusted === true;
    this.#exitGraceMs = settings.exitGraceMs ?? 5_000;
    this.#endRunner = this.#reuse ? undefined : settings.endRunner;
    this.#ready = settings.expectReady !== true;
    this.#maxLineBytes = runnerMaxLineBytes(settings.request.limits);
    this.#decoder = new JsonLinesDecoder({ maxLineBytes: this.#maxLineBytes });
    this.#toolNames = new Set(settings.request.tools.map((tool) => tool.name));
    this.outcome = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    this.result = new Promise((resolve) => {
      this.#resolveResult = resolve;
    });
  }

  /** Whether the runner reported `ready` (always true unless `expectReady`). */
  get isReady(): boolean {
    return this.#ready;
  }

  /** Whether the outcome is decided. */
  get settled(): boolean {
    return this.#phase === 'settled';
  }

  /** Sends `start` and starts the run's clock (`limits.timeoutMs`). Call once. */
  start(): void {
    if (this.#phase !== 'starting') return;
    this.#phase = 'running';
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
      tools: request.tools.map((tool) =>
        tool.parameters === undefined ? { name: tool.name, identifier: tool.identifier } : { name: tool.name, identifier: tool.identifier, parameters: tool.parameters },
      ),
      // Python is validated by the runner itself (with `ast`); core already checked JavaScript.
      ...(request.language === 'python' && request.validation !== undefined ? { validation: request.validation.python } : {}),
      limits: { maxValueBytes: limits.maxValueBytes, maxOutputBytes: limits.maxOutputBytes },
      ...(this.#reuse ? { reuse: true } : {}),
      ...(this.#trusted ? { trusted: true } : {}),
    });
  }

  /** Feeds bytes the runner wrote on its protocol stream, in order, whatever the chunk boundaries. */
  receive(chunk: Uint8Array | string): void {
    if (this.#phase === 'settled') return;
    let lines: string[];
    try {
      lines = this.#decoder.push(chunk);
    } catch {
      this.#violate(`wrote a protocol line longer than ${this.#maxLineBytes} bytes (the bound follows limits.maxValueBytes and limits.maxOutputBytes)`);
      return;
    }
    for (const line of lines) {
      if (this.settled) return;
      if (this.#phase === 'finishing') {
        this.#afterFinal(line);
        continue;
      }
      const message = parseRunnerMessage(line);
      if ('violation' in message) {
        // A login shell may print before the runner starts; only the runner's own stream counts.
        if (!this.#ready) continue;
        this.#violate(`broke the protocol: it wrote ${message.violation}`);
        return;
      }
      if (message.t === 'out' && (this.#outputBytes >= this.#request.limits.maxOutputBytes || (message.d.length === 0 && message.truncated !== true))) {
        // An honest runner stops forwarding output at the budget, and never sends an empty `out`
        // but to mark it truncated; one that keeps sending makes the host parse for nothing.
        this.#ignoredOutputBytes += line.length;
        if (this.#ignoredOutputBytes > Math.max(1024 * 1024, this.#request.limits.maxOutputBytes * 16)) {
          this.#violate('kept sending output long after limits.maxOutputBytes was reached');
          return;
        }
      }
      this.#onMessage(message);
    }
  }

  /**
   * The runner's process exited or its stream closed. After a final message (one-shot) that is
   * what makes the result count; before it, the run crashed (or ran out of memory).
   */
  end(exit: RunnerExit): void {
    if (this.#phase === 'settled') return;
    if (this.#phase === 'finishing' && this.#final !== undefined) {
      // One-shot: the runner ended as it should. Reuse: it ended instead of reporting idle, so the
      // result stands but the process is gone.
      this.#settle(this.#final, !this.#reuse);
      return;
    }
    this.#settle({ type: 'error', error: describeRunnerExit(this.#runtime, exit) }, false);
  }

  /** Ends the run from outside (abort, disposal, a transport fault) with `error`; the runner is not clean. */
  stop(error: RunError): void {
    this.#settle({ type: 'error', error }, false);
  }

  #send(message: HostToRunnerMessage): void {
    if (this.#phase !== 'running') return;
    this.#write(encodeRunnerMessage(message));
  }

  #violate(what: string): void {
    this.#settle({ type: 'error', error: crashed(`The ${this.#runtime} runner ${what}.`) }, false);
  }

  #settle(outcome: { type: 'success'; valueJson: string | undefined } | { type: 'error'; error: RunError }, clean: boolean): void {
    if (this.#phase === 'settled') return;
    this.#phase = 'settled';
    clearTimeout(this.#timer);
    clearTimeout(this.#graceTimer);
    const result = this.#earlyResult ?? this.#assemble(outcome);
    this.#resolveResult(result);
    this.#resolve({ result, clean, discardedBytes: this.#discardedBytes, forwardedCalls: this.#forwardedCalls, refusedCalls: this.#refusedCalls });
  }

  #assemble(outcome: { type: 'success'; valueJson: string | undefined } | { type: 'error'; error: RunError }): SandboxExecuteResultV1 {
    const output = { stdout: this.#stdout.join(''), stderr: this.#stderr.join(''), outputTruncated: this.#outputTruncated };
    return outcome.type === 'success' ? { type: 'success', valueJson: outcome.valueJson, ...output } : { type: 'error', error: outcome.error, ...output };
  }

  /** The final message arrived: stop answering, and wait for the runner to end (or go idle). */
  #finishWith(final: { type: 'success'; valueJson: string | undefined } | { type: 'error'; error: RunError }): void {
    this.#final = final;
    this.#phase = 'finishing';
    if (this.#endRunner !== undefined) {
      // The transport stops the process now: the result cannot be followed by anything of the run.
      this.#endRunner();
      this.#settle(final, true);
      return;
    }
    if (this.#reuse) {
      // The run is over for the guest; what follows decides only whether the runner is reused.
      this.#earlyResult = this.#assemble(final);
      this.#resolveResult(this.#earlyResult);
    }
    this.#graceTimer = setTimeout(() => {
      this.#violate(`reported its result but did not ${this.#reuse ? 'report idle' : 'exit'} within ${this.#exitGraceMs} ms`);
    }, this.#exitGraceMs);
  }

  /** A line after the final message: only `idle` (reuse) is expected; everything else is dropped and counted. */
  #afterFinal(line: string): void {
    if (this.#reuse && line.length < 64) {
      const message = parseRunnerMessage(line);
      if (!('violation' in message) && message.t === 'idle' && this.#final !== undefined) {
        this.#settle(this.#final, this.#discardedBytes === 0);
        return;
      }
    }
    this.#discardedBytes += Buffer.byteLength(line) + 1;
  }

  #append(fd: 1 | 2, text: string, truncated: boolean): void {
    if (truncated) this.#outputTruncated = true;
    if (text.length === 0) return;
    const room = this.#request.limits.maxOutputBytes - this.#outputBytes;
    if (room <= 0) {
      this.#outputTruncated = true;
      return;
    }
    const bytes = Buffer.byteLength(text);
    let kept = text;
    if (bytes > room) {
      kept = Buffer.from(text).subarray(0, room).toString('utf8').replace(/\uFFFD$/, '');
      this.#outputTruncated = true;
    }
    this.#outputBytes += kept === text ? bytes : Buffer.byteLength(kept);
    (fd === 1 ? this.#stdout : this.#stderr).push(kept);
    // Relayed as it arrives: the runner writes `out` before the `call` that follows it on the same
    // stream, so a listener sees output before the tool call the guest made after writing it.
    if (kept.length > 0) this.#request.onEvent?.({ type: fd === 1 ? 'stdout' : 'stderr', text: kept });
  }

  #onCall(id: number, name: string, input: string | undefined): void {
    const { limits } = this.#request;
    if (id !== this.#lastCallId + 1) {
      this.#violate(`broke the protocol: it wrote a call with id ${id} where ${this.#lastCallId + 1} was next (ids are 1, 2, 3… per run, never reused)`);
      return;
    }
    this.#lastCallId = id;
    if (!this.#toolNames.has(name)) {
      this.#violate(`broke the protocol: it called a tool the run did not install (${JSON.stringify(name.slice(0, 60))})`);
      return;
    }
    // One call past the limit goes to the host, which refuses it and traces it; the rest are refused here.
    if (this.#forwardedCalls > limits.maxToolCalls) {
      if (this.#refusedCalls >= maxRefusedCalls) {
        const message = `The code kept calling tools after limits.maxToolCalls (${limits.maxToolCalls}) was reached and was stopped.`;
        this.#settle({ type: 'error', error: { code: 'TOOL_ERROR', name: 'ToolError', message, toolErrorCode: 'TOOL_CALL_LIMIT' } }, false);
        return;
      }
      this.#refusedCalls++;
      this.#send({ t: 'result', id, ok: false, code: 'TOOL_CALL_LIMIT', message: `Tool call limit reached: a run may make at most ${limits.maxToolCalls} calls (limits.maxToolCalls).` });
      return;
    }
    if (input !== undefined && (input.length > limits.maxValueBytes || Buffer.byteLength(input) > limits.maxValueBytes)) {
      // The runner measures an input as this does and refuses it in the guest (protocol §3.3).
      this.#violate(`broke the protocol: it wrote a call of ${JSON.stringify(name.slice(0, 60))} whose input exceeds limits.maxValueBytes (${limits.maxValueBytes} bytes), which a runner refuses itself`);
      return;
    }
    this.#forwardedCalls++;
    this.#request.callTool({ name, inputJson: input }).then(
      (result) => {
        this.#send(result.type === 'success'
          ? (result.outputJson === undefined ? { t: 'result', id, ok: true } : { t: 'result', id, ok: true, output: result.outputJson })
          : { t: 'result', id, ok: false, code: result.code, message: result.message });
      },
      () => this.#send({ t: 'result', id, ok: false, code: 'TOOL_FAILED', message: 'The tool call failed.' }),
    );
  }

  #onMessage(message: RunnerToHostMessage): void {
    if (message.t === 'ready') {
      if (this.#ready) this.#violate('broke the protocol (a second "ready")');
      else if (message.v !== runnerProtocolVersion) this.#violate(`speaks protocol version ${message.v}, this host speaks ${runnerProtocolVersion}`);
      this.#ready = true;
      return;
    }
    if (this.#phase !== 'running') {
      this.#violate(`broke the protocol: it wrote "${message.t}" before the run started`);
      return;
    }
    switch (message.t) {
      case 'out':
        this.#append(message.fd, message.d, message.truncated === true);
        return;
      case 'call':
        this.#onCall(message.id, message.name, message.input);
        return;
      case 'done': {
        const { maxValueBytes } = this.#request.limits;
        if (message.value !== undefined && (message.value.length > maxValueBytes || Buffer.byteLength(message.value) > maxValueBytes)) {
          this.#finishWith({ type: 'error', error: { code: 'OUTPUT_LIMIT', name: 'OutputLimitError', message: `The return value exceeds limits.maxValueBytes (${maxValueBytes} bytes).` } });
          return;
        }
        this.#finishWith({ type: 'success', valueJson: message.value });
        return;
      }
      case 'error':
        this.#finishWith({ type: 'error', error: message.error });
        return;
      case 'idle':
        this.#violate('broke the protocol: it wrote "idle" before its final message');
        return;
      case 'fatal':
        this.#settle({ type: 'error', error: crashed(`The ${this.#runtime} runner gave up: ${message.message.slice(0, 500)}`) }, false);
        return;
    }
  }
}
