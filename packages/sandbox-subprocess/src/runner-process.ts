import { rm } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { SandboxStartError } from '@codecall/core';
import { limitSmallChunks, runnerSmallChunkLimit } from './chunk-rate-limit.js';
import { removeLater, type ResourceCgroup } from './resource-cgroup.js';
import { startRunnerChild } from './spawn-helper.js';
import type { RunnerChild } from './spawn-helper.js';
import { JsonLinesDecoder, RunnerSession, isRehearsalPassed, parseRunnerMessage, rehearsalRequest, runnerProtocolVersion } from '@codecall/runner';
import type { RunnerExit, RunnerReadyMessage } from '@codecall/runner';
import type { SandboxLanguage } from '@codecall/core';

/** What one run listens to while it owns a runner (a `RunnerSession` behind it). */
export interface RunnerListener {
  /** Bytes the runner wrote on its protocol stream. */
  onData(chunk: Buffer): void;
  /** The runner ended (after its protocol stream was drained). */
  onExit(exit: RunnerExit): void;
}

/** Options of `RunnerProcess.spawn`. */
export interface RunnerProcessOptions {
  /** Pool key: runtime, language and memory limit this runner was started for. */
  readonly key: string;
  /** Full argv (wrappers, launcher, interpreter, runner). */
  readonly argv: readonly string[];
  /** The complete environment of the child (already scrubbed). */
  readonly env: Readonly<Record<string, string>>;
  /** The private working directory; removed when the runner ends. */
  readonly workDirectory: string;
  /**
   * Cgroup capping the runner's processes; it gets its CPU weight when the runner is ready
   * (`ResourceCgroup.applyCpuWeight`) and is destroyed when the runner ends.
   */
  readonly cgroup: ResourceCgroup | undefined;
  /** Longest protocol line accepted, in characters. */
  readonly maxLineLength: number;
  /** How long the runner may take to report `ready`, in milliseconds. */
  readonly startTimeoutMs: number;
  /** Identifies the sandbox in start errors. */
  readonly sandboxId: string;
  /** Start the process from the shared spawn helper rather than forking the host. */
  readonly viaHelper: boolean;
  /**
   * A runner that waits in the pool first runs a rehearsal (`rehearsalRequest` of
   * `@codecall/runner`: tool calls, output and a result over its real protocol stream) in this
   * language, and counts as ready once it passed. Default none: ready at the runner's `ready`.
   * `trusted` (for a runner that will serve one guest run only): the rehearsal is sent as the
   * host's own code (`RunnerSessionSettings.trusted`), so the runner skips the baseline that only
   * a further reused run needs.
   */
  readonly rehearsal?: { readonly language: SandboxLanguage; readonly calls?: number; readonly trusted?: boolean } | undefined;
}

const stderrTailBytes = 4_096;
const warmUpLine = `${JSON.stringify({ t: 'result', id: 0, ok: true })}\n`;

/** One runner child process: spawned, waiting for `start`, then owned by one run at a time. */
export class RunnerProcess {
  /** Pool key the runner was started for. */
  readonly key: string;
  /** Resolves with the `ready` message; rejects with `SandboxStartError` when the runner cannot start. */
  readonly ready: Promise<RunnerReadyMessage>;
  /** Resolves once the process has exited and its working directory is removed. */
  readonly ended: Promise<void>;
  /** Runs this runner has started. */
  runs = 0;
  /** When it became idle (for the pool's idle timeout), `performance.now()` milliseconds. */
  idleSince = 0;
  readonly #child: RunnerChild;
  readonly #decoder: JsonLinesDecoder;
  readonly #cgroup: ResourceCgroup | undefined;
  #listener: RunnerListener | undefined;
  #stderrTail = '';
  #exit: RunnerExit | undefined;
  #dead = false;
  #killed = false;
  #isReady = false;
  #claimed = false;
  #baselineProcesses: number | undefined;

  private constructor(options: RunnerProcessOptions) {
    this.key = options.key;
    this.#cgroup = options.cgroup;
    this.#decoder = new JsonLinesDecoder({ maxLineBytes: options.maxLineLength });
    const [command, ...args] = options.argv;
    this.#child = startRunnerChild(command as string, args, {
      cwd: options.workDirectory,
      env: options.env,
      viaHelper: options.viaHelper,
      leftovers: { directories: [options.workDirectory], cgroups: options.cgroup?.directories ?? [] },
    });
    const child = this.#child;
    let resolveReady!: (message: RunnerReadyMessage) => void;
    let rejectReady!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    const startTimer = setTimeout(() => {
      rejectReady(new SandboxStartError(`The runner did not start within ${options.startTimeoutMs} ms (${command}).`, { sandboxId: options.sandboxId, retryable: true }));
      this.kill();
    }, options.startTimeoutMs);

    let stdoutEnded = false;
    let exited = false;
    let resolveEnded!: () => void;
    this.ended = new Promise((resolve) => {
      resolveEnded = resolve;
    });
    const settle = (): void => {
      if (!exited || this.#exit !== undefined) return;
      const exitInfo: RunnerExit = { code: child.exitCode, signal: child.signalCode, stderrTail: this.#stderrTail, memoryExceeded: this.#cgroup?.memoryExceeded() ?? false };
      this.#exit = exitInfo;
      this.#dead = true;
      clearTimeout(startTimer);
      if (!this.#isReady) {
        rejectReady(new SandboxStartError(describeStartFailure(command as string, exitInfo), { sandboxId: options.sandboxId }));
      }
      const listener = this.#listener;
      this.#listener = undefined;
      listener?.onExit(exitInfo);
      this.#cleanUp(options.workDirectory).then(resolveEnded, resolveEnded);
    };

    // A rehearsal is a run of the host's own code (runner protocol §2, `reuse`), after which a fresh
    // runner's first guest run is much faster (see `SubprocessPoolSettings.rehearsalCalls`). It holds
    // the runner like a run; a run that takes the runner meanwhile (`claim`) cuts it short.
    const rehearse = (readyMessage: RunnerReadyMessage, rehearsal: NonNullable<RunnerProcessOptions['rehearsal']>): void => {
      const session = new RunnerSession({
        request: rehearsalRequest(rehearsal.language, { ...(rehearsal.calls === undefined ? {} : { calls: rehearsal.calls }), shouldStop: () => this.#claimed }),
        write: (text) => this.write(text),
        reuse: true,
        trusted: rehearsal.trusted === true,
      });
      this.#listener = { onData: (chunk) => session.receive(chunk), onExit: (exit) => session.end(exit) };
      session.start();
      void session.outcome.then(({ result, clean }) => {
        this.#listener = undefined;
        if (this.#dead) return;
        if (clean && isRehearsalPassed(result)) {
          this.#isReady = true;
          clearTimeout(startTimer);
          this.#cgroup?.applyCpuWeight();
          resolveReady(readyMessage);
          return;
        }
        const why = result.type === 'error' ? `${result.error.code}: ${result.error.message}` : `it returned ${String(result.valueJson)} and printed ${JSON.stringify(result.stdout.slice(0, 200))}`;
        rejectReady(new SandboxStartError(`The runner (${command}) failed its rehearsal run: ${why}`, { sandboxId: options.sandboxId }));
        this.kill();
      });
    };

    // The small-chunk limits of the runner's streams: released when it exits, so that what it wrote
    // last is read before its exit is taken as the end of the run.
    const releaseLimits: (() => void)[] = [];
    const wire = (stdin: Writable, stdout: Readable, stderr: Readable): void => {
      stdin.on('error', () => undefined);
      const limitStderr = limitSmallChunks(stderr, runnerSmallChunkLimit);
      releaseLimits.push(limitStderr.release);
      stderr.on('data', (chunk: Buffer) => {
        limitStderr.onChunk(chunk);
        this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-stderrTailBytes);
      });
      stderr.on('error', () => undefined);
      const limitStdout = limitSmallChunks(stdout, runnerSmallChunkLimit);
      releaseLimits.push(limitStdout.release);
      stdout.on('data', (chunk: Buffer) => {
        limitStdout.onChunk(chunk);
        const owner = this.#listener;
        if (owner !== undefined) {
          owner.onData(chunk);
          return;
        }
        let lines: string[];
        try {
          lines = this.#decoder.push(chunk);
        } catch (error) {
          this.#violate(error instanceof Error ? error.message : 'an oversized line');
          return;
        }
        for (const [index, line] of lines.entries()) {
          if (this.#dead && this.#listener === undefined) return;
          const message = parseRunnerMessage(line);
          if ('violation' in message) {
            this.#violate(message.violation);
            return;
          }
          if (message.t === 'ready' && !this.#isReady && message.v !== runnerProtocolVersion) {
            rejectReady(new SandboxStartError(`The runner speaks protocol version ${message.v}; this host speaks ${runnerProtocolVersion}.`, { sandboxId: options.sandboxId }));
            this.kill();
            return;
          }
          if (message.t === 'ready' && !this.#isReady) {
            this.#baselineProcesses = this.#processCount();
            if (options.rehearsal !== undefined) {
              // An honest runner writes nothing between `ready` and the rehearsal's `start`.
              if (index < lines.length - 1 || this.#decoder.pendingBytes > 0) {
                this.#violate('output after "ready" before any run started');
                return;
              }
              rehearse(message, options.rehearsal);
              return;
            }
            this.#isReady = true;
            clearTimeout(startTimer);
            // The first line a fresh runner reads costs it a millisecond or two (its read path runs for
            // the first time). Pay that now, while the runner waits in the pool: an answer to call 0,
            // which no run makes and every runner ignores (runner protocol, §2).
            this.write(warmUpLine);
            this.#cgroup?.applyCpuWeight();
            resolveReady(message);
            continue;
          }
          if (message.t === 'fatal') {
            this.kill();
            continue;
          }
          this.#violate(`a "${message.t}" message while no run was active`);
          return;
        }
      });
      stdout.on('end', () => {
        stdoutEnded = true;
        // The runner closed its protocol stream while still alive: nothing more can come from it.
        // An exiting runner closes it too, so give its exit status a moment to arrive first.
        if (!exited && this.#listener !== undefined) {
          setTimeout(() => {
            if (!exited && this.#listener !== undefined) this.kill();
          }, 200).unref();
        }
        settle();
      });
      stdout.on('error', () => undefined);
    };
    // Node's own child has its streams at once; the spawn helper's arrive with 'spawn'.
    if (child.stdin !== null && child.stdout !== null && child.stderr !== null) wire(child.stdin, child.stdout, child.stderr);
    else {
      child.once('spawn', () => {
        if (child.stdin !== null && child.stdout !== null && child.stderr !== null) wire(child.stdin, child.stdout, child.stderr);
      });
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(startTimer);
      rejectReady(new SandboxStartError(`Cannot start ${command}: ${error.message}${error.code === 'ENOENT' ? ' (is it installed and on PATH?)' : ''}`, { sandboxId: options.sandboxId, cause: error }));
      exited = true;
      stdoutEnded = true;
      settle();
    });
    child.on('exit', () => {
      exited = true;
      for (const release of releaseLimits) release();
      // Killed before its streams arrived (the spawn helper died): there is no stream to drain.
      if (child.stdout === null) stdoutEnded = true;
      if (stdoutEnded) settle();
      // A descendant may keep the protocol pipe open; do not wait for it for long.
      else setTimeout(settle, 500);
    });
  }

  /** Spawns a runner; await `ready` before handing it a run. */
  static spawn(options: RunnerProcessOptions): RunnerProcess {
    return new RunnerProcess(options);
  }

  /** Whether the process is gone (or being killed). */
  get dead(): boolean {
    return this.#dead;
  }

  /**
   * Whether processes other than the runner's own (counted when it reported `ready`) are still in
   * its cgroup: something a run started outlived it. Always false without a cgroup.
   */
  hasStrayProcesses(): boolean {
    const count = this.#processCount();
    return count !== undefined && this.#baselineProcesses !== undefined && count > this.#baselineProcesses;
  }

  #processCount(): number | undefined {
    return this.#cgroup?.members()?.length;
  }

  /** Whether the runner reported `ready` (and passed its rehearsal, if it has one). */
  get isReady(): boolean {
    return this.#isReady;
  }

  /** A run takes this runner: a rehearsal still going ends after its current call. */
  claim(): void {
    this.#claimed = true;
  }

  /** Host process id of the spawned command. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Gives the runner to a run (or takes it back with `undefined`). */
  attach(listener: RunnerListener | undefined): void {
    // Half a line written while idle cannot belong to the run: the runner is not clean.
    if (listener !== undefined && this.#decoder.pendingBytes > 0) this.kill();
    this.#listener = listener;
  }

  /** Writes the runner a line it ignores (see `SubprocessPoolSettings.keepWarmMs`). */
  keepWarm(): void {
    this.write(warmUpLine);
  }

  /** Writes protocol bytes to the runner's input. */
  write(text: string): void {
    if (this.#dead) return;
    this.#child.stdin?.write(text);
  }

  /**
   * Kills the runner's process group and every member of its cgroup (a jail's PID namespace dies
   * with it), synchronously: when this returns no process of the runner can act any more, though
   * reaping and clean-up finish later (`ended`).
   */
  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const pid = this.#child.pid;
      try {
        if (pid === undefined) throw new Error('not started yet');
        process.kill(-pid, 'SIGKILL');
      } catch {
        // No group (yet): a helper's child that has no pid yet is killed as soon as it has one.
        this.#child.kill('SIGKILL');
      }
    }
    this.#cgroup?.kill();
    this.#dead = true;
  }

  #violate(_violation: string): void {
    this.kill();
  }

  async #cleanUp(workDirectory: string): Promise<void> {
    this.#child.stdin?.destroy();
    this.#child.stdout?.destroy();
    this.#child.stderr?.destroy();
    if (this.#cgroup !== undefined) {
      // Daemons that left the process group are still in the cgroup.
      let gone = this.#cgroup.destroy();
      for (let attempt = 1; attempt < 40 && !gone; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        gone = this.#cgroup.destroy();
      }
      // Members that take longer than a second to go: removed later, while the host lives.
      if (!gone) removeLater(this.#cgroup);
    }
    await rm(workDirectory, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

function describeStartFailure(command: string, exit: RunnerExit): string {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
  const tail = exit.stderrTail.trim().slice(-1_000);
  return `The runner (${command}) ${how} before it was ready.${tail.length > 0 ? ` Its stderr: ${tail}` : ''}`;
}
