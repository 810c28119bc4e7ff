import { randomUUID } from 'node:crypto';
import { chownSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SandboxConfigurationError, SandboxDisposedError, SandboxStartError, defaultLimits } from '@codecall/core';
import type {
  SandboxCapabilitiesV1,
  SandboxExecuteRequestV1,
  SandboxExecuteResultV1,
  SandboxLanguage,
  SandboxV1,
} from '@codecall/core';
import { findExecutable, resolveNode, resolvePython } from './interpreters.js';
import { interpreterForJail, jailArgv, jailRunnerFiles, jailShellRedirect, plainRunnerPrefix, resolveLauncher } from './jail.js';
import type { JailEnvironment, JailRunnerFiles } from './jail.js';
import type { ResolvedInterpreter } from './interpreters.js';
import type { SubprocessJailSettings, SubprocessLaunchSpec, SubprocessLauncher } from './launcher.js';
import { defaultRunnerCpuWeight, ResourceCgroup } from './resource-cgroup.js';
import { RunnerSession, defaultRehearsalCalls, nodeRunnerPath, pythonRunnerPath, runnerDirectory, runnerRuntimeOf } from '@codecall/runner';
import { RunnerProcess } from './runner-process.js';
import { holdSpawnHelper } from './spawn-helper.js';
import { WorkerPool } from './worker-pool.js';
import type { ResolvedPoolSettings, SubprocessPoolSettings } from './worker-pool.js';

/** Settings of `createSubprocessSandbox`. Every field is optional. */
export interface SubprocessSandboxSettings {
  /**
   * Languages this sandbox runs. `javascript` and `typescript` run in node, `python` in python3.
   * Default all three.
   */
  readonly languages?: readonly SandboxLanguage[];
  /** The node binary. Default: the host's own (`process.execPath`). */
  readonly nodePath?: string;
  /**
   * The python3 interpreter. Default `python3` on the host's PATH, resolved once to the real
   * binary behind any pyenv/asdf shim.
   */
  readonly pythonPath?: string;
  /**
   * How runner processes are started; see `SubprocessLauncher`. Default `'jail'` (bubblewrap):
   * a host that cannot jail makes the constructor throw `SandboxConfigurationError` rather than
   * fall back to an unjailed process.
   */
  readonly launcher?: SubprocessLauncher;
  /**
   * Settings of the `'jail'` launcher, or `false` to opt out of the default jail (the `'plain'`
   * launcher: the runner has the host's user, files and network — unsafe for untrusted code).
   * Default `{}` (jailed).
   */
  readonly jail?: SubprocessJailSettings | boolean;
  /**
   * Environment variables given to the guest, by value. The guest gets nothing else from the host
   * except `inheritEnv`, plus `PATH`, `HOME`, `TMPDIR` and `LANG` set by the adapter.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Names of host environment variables passed through to the guest (an allow-list). Default none. */
  readonly inheritEnv?: readonly string[];
  /** The warm pool; `false` disables it. */
  readonly pool?: SubprocessPoolSettings | false;
  /**
   * Processes (and threads) the guest may have at once, enforced with a pids cgroup when this host
   * lets the adapter create one, and with `RLIMIT_NPROC` when the host does not run as root.
   * Default 64.
   */
  readonly maxProcesses?: number;
  /**
   * The runners' CPU weight against the host and other processes when the CPUs are busy, on cgroup
   * v2's scale: an integer from 1 to 10,000, where 100 is an ordinary process's weight (cgroup v1's
   * `cpu.shares` get the same fraction of 1024). Applied where this host lets the adapter create
   * cpu cgroups, once a runner is ready: it starts and rehearses at the default weight, so a busy
   * machine does not hold up its start, and guest code always runs at this one. Lower keeps a
   * spinning guest further from the host's event loop; higher gives guest code more of a busy
   * machine. It changes nothing while a CPU is free. Default 50 (see the README's "CPU" limit for
   * the measurements behind it).
   */
  readonly cpuWeight?: number;
  /** Largest file the guest may write, in bytes (`RLIMIT_FSIZE`). Default 256 MiB. */
  readonly maxFileBytes?: number;
  /** Parent directory of the per-run private working directories. Default the OS temp directory. */
  readonly tempDirectory?: string;
  /** How long a runner may take to start before the run fails with `SandboxStartError`, in ms. Default 30,000. */
  readonly startTimeoutMs?: number;
  /**
   * Start runners from the spawn helper: one small node process per host process, shared by every
   * subprocess sandbox, started at the first spawn and ended 30 s after the last runner it started
   * ended, or at once when the last sandbox is disposed (its `dispose` waits for the helper's
   * exit). It starts each runner and hands its pipes to the host, so the host never forks: `fork()`
   * holds the host's event loop while it copies the host's page tables (6 ms at 51 MB of RSS, 23 ms
   * at 890 MB on a 2-core VM). The helper costs one node process (60–67 MB of RSS, measured while
   * it served 1,000 runs) and an IPC round trip per spawn, which the pool hides; it dies with the
   * host and kills what it started, then removes the runners' work directories and cgroups (a host
   * killed before it disposed its sandboxes, alone or with its process group, leaves none behind
   * unless the helper was killed too; with `false`, it leaves them).
   * It runs on the host's own `process.execPath` and needs Node's IPC handle passing: on another
   * JavaScript runtime, set `false`. `false` forks the host for each runner.
   * Default `true`.
   */
  readonly spawnHelper?: boolean;
}

type Runtime = 'node' | 'python';

const allLanguages: readonly SandboxLanguage[] = ['javascript', 'typescript', 'python'];
const mebibyte = 1024 * 1024;
// V8 reserves about 1 GiB of address space before running anything; the heap flag is the real limit.
const nodeAddressSpaceBaseBytes = 2048 * mebibyte;
const pythonAddressSpaceBaseBytes = 96 * mebibyte;
// What the interpreter itself occupies before guest code runs, added to memoryLimitBytes in the cgroup.
const nodeCgroupBaseBytes = 64 * mebibyte;
const pythonCgroupBaseBytes = 32 * mebibyte;

const runtimeOf: (language: SandboxLanguage) => Runtime = runnerRuntimeOf;

let sandboxCounter = 0;

/**
 * Runs guest code in child processes: `node` for JavaScript and TypeScript, `python3` for Python,
 * each a runner of `@codecall/runner` whose protocol runs over descriptors 3 and 4 of the child
 * (a `RunnerSession` speaks it; this class is the transport). Limits are enforced from outside the
 * child: wall time (the process group or jail is killed), memory (rlimits and node's
 * heap size), output bytes and tool calls (counted by the host). A pool of pre-spawned one-shot
 * runners makes warm starts cheap.
 */
export class SubprocessSandbox implements SandboxV1 {
  /** Always `'v1'`. */
  readonly specificationVersion = 'v1' as const;
  /** `subprocess:<n>:<random>`. */
  readonly sandboxId: string;
  /** What this sandbox does, per launcher. */
  readonly capabilities: SandboxCapabilitiesV1;
  readonly #settings: SubprocessSandboxSettings;
  readonly #pool: WorkerPool;
  readonly #poolSettings: ResolvedPoolSettings;
  readonly #interpreters = new Map<Runtime, ResolvedInterpreter>();
  readonly #active = new Set<RunnerProcess>();
  readonly #retiring = new Set<RunnerProcess>();
  readonly #activeRuns = new Set<() => void>();
  readonly #launcher: SubprocessLauncher;
  readonly #jail: JailEnvironment | undefined;
  #runnerFiles: JailRunnerFiles | undefined;
  readonly #jailSettings: SubprocessJailSettings;
  #disposed = false;
  readonly #releaseSpawnHelper: (() => Promise<void>) | undefined;

  constructor(settings: SubprocessSandboxSettings = {}) {
    this.#settings = settings;
    this.sandboxId = `subprocess:${++sandboxCounter}:${randomUUID().slice(0, 8)}`;
    const languages = settings.languages ?? allLanguages;
    if (languages.length === 0 || languages.some((language) => !allLanguages.includes(language))) {
      throw new SandboxConfigurationError(`settings.languages must list some of ${allLanguages.join(', ')}.`, { sandboxId: this.sandboxId });
    }
    const { launcher, jail, jailSettings } = resolveLauncher(settings.launcher, settings.jail, this.sandboxId);
    this.#launcher = launcher;
    this.#jail = jail;
    this.#jailSettings = jailSettings;
    for (const [name, value] of [['maxProcesses', settings.maxProcesses], ['maxFileBytes', settings.maxFileBytes], ['startTimeoutMs', settings.startTimeoutMs]] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
        throw new SandboxConfigurationError(`settings.${name} must be a positive integer, got ${String(value)}.`, { sandboxId: this.sandboxId });
      }
    }
    if (settings.cpuWeight !== undefined && (!Number.isSafeInteger(settings.cpuWeight) || settings.cpuWeight < 1 || settings.cpuWeight > 10_000)) {
      throw new SandboxConfigurationError(`settings.cpuWeight must be an integer from 1 to 10000, got ${String(settings.cpuWeight)}.`, { sandboxId: this.sandboxId });
    }
    const pool = settings.pool === false ? { size: 0 } : (settings.pool ?? {});
    this.#poolSettings = {
      size: pool.size ?? 2,
      idleTimeoutMs: pool.idleTimeoutMs ?? 60_000,
      maxReuse: pool.maxReuse ?? 1,
      rehearsalCalls: pool.rehearsalCalls ?? defaultRehearsalCalls,
      keepWarmMs: pool.keepWarmMs ?? 0,
    };
    for (const [name, value] of Object.entries(this.#poolSettings)) {
      const mayBeZero = name === 'size' || name === 'rehearsalCalls' || name === 'keepWarmMs';
      if (!Number.isSafeInteger(value) || value < (mayBeZero ? 0 : 1)) {
        throw new SandboxConfigurationError(`settings.pool.${name} must be a ${mayBeZero ? 'non-negative' : 'positive'} integer, got ${String(value)}.`, { sandboxId: this.sandboxId });
      }
    }
    if (this.#poolSettings.keepWarmMs > 0 && this.#poolSettings.keepWarmMs < 10) {
      // Below 10 ms the runners would hardly ever sleep: the gain was measured at 50–200 ms.
      throw new SandboxConfigurationError(`settings.pool.keepWarmMs must be 0 (off) or at least 10, got ${this.#poolSettings.keepWarmMs}.`, { sandboxId: this.sandboxId });
    }
    const custom = typeof launcher === 'object' ? launcher : undefined;
    const isolation = launcher === 'jail' ? 'jail' : (custom?.isolation ?? 'process');
    this.capabilities = Object.freeze({
      languages: Object.freeze([...languages]),
      isolation,
      network: launcher === 'jail' ? false : (custom?.network ?? true),
      filesystem: true,
      processApi: true,
      memoryLimit: findExecutable('prlimit') !== undefined && (typeof launcher !== 'object' && typeof launcher !== 'function' ? true : (custom?.memoryLimit ?? false)),
      // The runner writes output as `out` messages as the guest writes it; RunnerSession relays them.
      liveOutput: true,
    });
    this.#pool = new WorkerPool(this.#poolSettings, (key) => this.#spawnForKey(key, true));
    // Validation above threw before this point: a sandbox that was never made holds nothing.
    this.#releaseSpawnHelper = (settings.spawnHelper ?? true) ? holdSpawnHelper() : undefined;
    for (const language of pool.prewarm ?? []) {
      if (languages.includes(language)) void this.warmUp(language).catch(() => undefined);
    }
  }

  /**
   * Starts the pool's runners for `language` at `memoryLimitBytes` (default: the default limit)
   * and resolves when they are ready, so the next runs start warm. Rejects with `SandboxStartError`
   * when the interpreter cannot be found.
   */
  async warmUp(language: SandboxLanguage, limits: { memoryLimitBytes?: number } = {}): Promise<void> {
    if (this.#disposed) throw new SandboxDisposedError(this.sandboxId);
    await this.#interpreter(runtimeOf(language));
    await this.#pool.warm(poolKey(language, limits.memoryLimitBytes ?? defaultLimits.memoryLimitBytes));
  }

  async execute(request: SandboxExecuteRequestV1): Promise<SandboxExecuteResultV1> {
    if (this.#disposed) throw new SandboxDisposedError(this.sandboxId);
    if (!this.capabilities.languages.includes(request.language)) {
      throw new SandboxConfigurationError(`Sandbox ${this.sandboxId} does not run ${request.language}.`, { code: 'UNSUPPORTED_LANGUAGE', sandboxId: this.sandboxId });
    }
    if (request.abortSignal.aborted) return this.#aborted();
    await this.#interpreter(runtimeOf(request.language));
    const key = poolKey(request.language, request.limits.memoryLimitBytes);
    let runner = this.#pool.take(key);
    if (runner === undefined) {
      // A reused runner that is cleaning up after its last run comes back sooner than a process
      // starts: wait for it (`undefined` when it does not come back).
      const returning = this.#pool.awaitReturning(key);
      if (returning !== undefined) runner = await returning;
      if (this.#disposed) {
        if (runner !== undefined) this.#retire(runner);
        return this.#aborted(`Sandbox ${this.sandboxId} was disposed before the code started.`);
      }
    }
    runner ??= this.#spawnForKey(key, false);
    // A pooled runner still rehearsing ends its rehearsal after the current call.
    runner.claim();
    this.#active.add(runner);
    // Settles when the runner is back in the pool or retired; until then it counts as active.
    let returned: Promise<void> | undefined;
    try {
      try {
        await Promise.race([
          runner.ready,
          new Promise((_, reject) => {
            request.abortSignal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
          }),
        ]);
      } catch (error) {
        // Retired, not just killed: dispose() waits until its directory and cgroup are gone.
        this.#retire(runner);
        if (request.abortSignal.aborted) return this.#aborted();
        if (this.#disposed) return this.#aborted(`Sandbox ${this.sandboxId} was disposed before the code started.`);
        throw error;
      }
      if (this.#disposed) {
        this.#retire(runner);
        return this.#aborted(`Sandbox ${this.sandboxId} was disposed before the code started.`);
      }
      runner.runs++;
      const taken = runner;
      const session = this.#run(taken, request);
      returned = session.outcome.then((outcome) => {
        if (outcome.clean && this.#poolSettings.maxReuse > 1 && !taken.hasStrayProcesses()) this.#pool.release(taken);
        else {
          this.#pool.abandon(taken);
          this.#retire(taken);
        }
        this.#active.delete(taken);
      });
      // With reuse the result arrives at the runner's final message, and the runner cleans up
      // (then reports idle) after the result is returned: it is finishing until `outcome`.
      const result = await session.result;
      if (!session.settled) this.#pool.finishing(taken);
      return result;
    } finally {
      if (returned === undefined) this.#active.delete(runner);
      // Refill after the run (see WorkerPool.take), in a later turn of the event loop.
      if (!this.#disposed) setImmediate(() => this.#pool.fill(key));
    }
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const end of [...this.#activeRuns]) end();
    const active = [...this.#active, ...this.#retiring];
    for (const runner of active) runner.kill();
    await Promise.all([this.#pool.dispose(), ...active.map((runner) => runner.ended)]);
    // Runners retired meanwhile (a run that was waiting for its runner ended with the dispose).
    while (this.#retiring.size > 0) await Promise.all([...this.#retiring].map((runner) => runner.ended));
    // The last sandbox of this process ends the shared spawn helper, and waits for it to exit.
    await this.#releaseSpawnHelper?.();
  }

  /**
   * Kills a runner whose run is over; it is reaped and its working directory and cgroup removed in
   * the background (a one-shot run reports its result without waiting for that), and `dispose`
   * waits for it.
   */
  #retire(runner: RunnerProcess): void {
    runner.kill();
    this.#retiring.add(runner);
    void runner.ended.then(() => this.#retiring.delete(runner));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  #aborted(message = 'The run was aborted.'): SandboxExecuteResultV1 {
    return { type: 'error', error: { code: 'ABORTED', name: 'AbortError', message }, stdout: '', stderr: '', outputTruncated: false };
  }

  async #interpreter(runtime: Runtime): Promise<ResolvedInterpreter> {
    const known = this.#interpreters.get(runtime);
    if (known !== undefined) return known;
    const configured = runtime === 'node' ? this.#settings.nodePath : this.#settings.pythonPath;
    let resolved = runtime === 'node' ? await resolveNode(configured) : await resolvePython(configured);
    if (this.#jail !== undefined) resolved = await interpreterForJail(runtime, resolved, configured, this.#jail.identity);
    this.#interpreters.set(runtime, resolved);
    return resolved;
  }

  /** Starts a runner for `key`; one that will wait in the pool (`forPool`) rehearses first. */
  #spawnForKey(key: string, forPool: boolean): RunnerProcess {
    const [language, memory] = key.split('|') as [SandboxLanguage, string];
    const memoryLimitBytes = Number(memory);
    const runtime = runtimeOf(language);
    const interpreter = this.#interpreters.get(runtime);
    if (interpreter === undefined) throw new SandboxStartError(`The ${runtime} interpreter is not resolved yet.`, { sandboxId: this.sandboxId });
    const launcher = this.#launcher;
    const base = this.#settings.tempDirectory ?? tmpdir();
    const workDirectory = mkdtempSync(path.join(base, 'codecall-'));
    // The jail's unprivileged host user owns its private /tmp.
    if (this.#jail?.identity !== undefined) chownSync(workDirectory, this.#jail.identity.uid, this.#jail.identity.gid);
    const custom = typeof launcher === 'object' || typeof launcher === 'function';
    const interpreterPath = custom ? (runtime === 'node' ? (this.#settings.nodePath ?? interpreter.path) : (this.#settings.pythonPath ?? interpreter.path)) : interpreter.path;
    // A jail user that cannot read the installed runner programs (a checkout under /root) gets copies.
    this.#runnerFiles ??= jailRunnerFiles(this.#jail?.identity, { directory: runnerDirectory, node: nodeRunnerPath, python: pythonRunnerPath });
    const runnerFiles = this.#runnerFiles;
    const interpreterArgs = runtime === 'node'
      ? [`--max-old-space-size=${Math.max(8, Math.floor(memoryLimitBytes / mebibyte))}`, '--disable-warning=ExperimentalWarning', '--no-deprecation']
      : ['-I', '-B', '-X', 'frozen_modules=on'];
    const spec: SubprocessLaunchSpec = {
      runtime,
      interpreterPath,
      interpreterArgs,
      runnerPath: runtime === 'node' ? runnerFiles.node : runnerFiles.python,
      runnerArgs: [...(runtime === 'node' ? ['--language', language] : []), ...(launcher === 'plain' || launcher === 'jail' ? ['--protocol-fds', '3,4'] : [])],
      runnerDirectory: runnerFiles.directory,
      workDirectory,
      interpreterMountPaths: interpreter.mountPaths,
    };
    let command: string[];
    if (launcher === 'plain') command = [...plainRunnerPrefix(), spec.interpreterPath, ...spec.interpreterArgs, spec.runnerPath, ...spec.runnerArgs];
    else if (launcher === 'jail') {
      if (this.#jail === undefined) throw new SandboxStartError('The jail was not probed.', { sandboxId: this.sandboxId });
      command = jailArgv(spec, this.#jailSettings, this.#jail);
    }
    else if (typeof launcher === 'function') command = [...launcher(spec).command];
    else command = [...launcher.command, spec.interpreterPath, ...spec.interpreterArgs, spec.runnerPath, ...spec.runnerArgs];
    if (command.length === 0) throw new SandboxConfigurationError('settings.launcher returned an empty command.', { sandboxId: this.sandboxId });

    const maxProcesses = this.#settings.maxProcesses ?? 64;
    const prlimit = findExecutable('prlimit');
    if (prlimit !== undefined) {
      const addressSpace = memoryLimitBytes + (runtime === 'node' ? nodeAddressSpaceBaseBytes : pythonAddressSpaceBaseBytes);
      command = [
        prlimit,
        `--as=${addressSpace}`,
        `--fsize=${this.#settings.maxFileBytes ?? 256 * mebibyte}`,
        // RLIMIT_NPROC counts every process of a uid: the jail's shared unprivileged user would
        // make concurrent runners starve each other (the pids cgroup caps each one instead).
        ...(this.#jail?.identity === undefined ? [`--nproc=${maxProcesses}`] : []),
        '--core=0',
        '--',
        ...command,
      ];
    }
    // SCHED_BATCH: a runner's threads, woken by the host (a tool call's answer, the kill that ends a
    // one-shot run), never preempt the host's thread on its CPU; they get the same CPU share as
    // before. Killing a fresh node runner (7 threads) took 164–216 µs of the result's path as its
    // woken threads took the host's CPU, 54–58 µs with it. A performance setting, not a limit: the
    // guest may switch back to SCHED_OTHER.
    const chrt = process.platform === 'linux' ? findExecutable('chrt') : undefined;
    if (chrt !== undefined) command = [chrt, '--batch', '0', ...command];
    const cgroup = ResourceCgroup.create({
      maxProcesses: maxProcesses + 8,
      memoryBytes: memoryLimitBytes + (runtime === 'node' ? nodeCgroupBaseBytes : pythonCgroupBaseBytes),
      cpuWeight: this.#settings.cpuWeight ?? defaultRunnerCpuWeight,
    });
    // Built-in launchers pass the protocol on descriptors 3 (in) and 4 (out) and point 0 and 1 at
    // /dev/null, so nothing the guest writes to its stdio can reach the protocol stream. The shell
    // also moves itself into the cgroup before exec, so nothing the runner starts escapes it.
    const ownsStdio = launcher === 'plain' || launcher === 'jail';
    if (cgroup !== undefined || ownsStdio) {
      const joins = (cgroup?.directories ?? []).map((_, index) => `echo $$ > "$${index + 1}/cgroup.procs" && `).join('');
      const shifts = cgroup === undefined || cgroup.directories.length === 0 ? '' : `shift ${cgroup.directories.length}; `;
      const redirect = ownsStdio ? ` 3<&0 4>&1 </dev/null >/dev/null${this.#jail === undefined ? '' : jailShellRedirect(this.#jail)}` : '';
      command = ['/bin/sh', '-c', `${joins}${shifts}exec "$@"${redirect}`, 'codecall-runner', ...(cgroup?.directories ?? []), ...command];
    }
    const jailed = launcher === 'jail';
    const env: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: jailed ? '/tmp' : workDirectory,
      TMPDIR: jailed ? '/tmp' : workDirectory,
      LANG: 'C.UTF-8',
    };
    for (const name of this.#settings.inheritEnv ?? []) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    Object.assign(env, this.#settings.env ?? {});
    return RunnerProcess.spawn({
      key,
      argv: command,
      env,
      workDirectory,
      cgroup,
      // Lines outside a run (`ready`, `fatal`) are small: an error message is at most 16 KiB. A run's
      // own lines go to its session, bounded by runnerMaxLineBytes of the run's limits.
      maxLineLength: 1 * mebibyte,
      startTimeoutMs: this.#settings.startTimeoutMs ?? 30_000,
      sandboxId: this.sandboxId,
      viaHelper: this.#settings.spawnHelper ?? true,
      // A one-shot runner serves one guest run after its rehearsal, which needs no undoing.
      rehearsal: forPool && this.#poolSettings.rehearsalCalls > 0 ? { language, calls: this.#poolSettings.rehearsalCalls, trusted: this.#poolSettings.maxReuse === 1 } : undefined,
    });
  }

  /**
   * Runs `request` on `runner`: the session's `result` (at the final message with reuse) and its
   * `outcome` (once the runner is idle or stopped; a runner that is not clean is killed by then).
   */
  #run(runner: RunnerProcess, request: SandboxExecuteRequestV1): { readonly result: Promise<SandboxExecuteResultV1>; readonly outcome: Promise<{ result: SandboxExecuteResultV1; clean: boolean }>; readonly settled: boolean } {
    const reuse = this.#poolSettings.maxReuse > 1 && runner.runs < this.#poolSettings.maxReuse;
    const session = new RunnerSession({
      request,
      write: (text) => runner.write(text),
      reuse,
      // One-shot: the final message kills the runner (process group, jail, cgroup) and the result
      // counts at once; the exit is reaped in the background (`#retire`, awaited by `dispose`).
      ...(reuse ? {} : { endRunner: () => runner.kill() }),
    });
    const onAbort = (): void => session.stop({ code: 'ABORTED', name: 'AbortError', message: 'The run was aborted.' });
    const onDispose = (): void => session.stop({ code: 'ABORTED', name: 'AbortError', message: `Sandbox ${this.sandboxId} was disposed while the code ran.` });
    request.abortSignal.addEventListener('abort', onAbort, { once: true });
    this.#activeRuns.add(onDispose);
    runner.attach({ onData: (chunk) => session.receive(chunk), onExit: (exit) => session.end(exit) });
    if (runner.dead) session.stop({ code: 'SANDBOX_CRASHED', name: 'SandboxCrashedError', message: `The ${runtimeOf(request.language)} process ended before the run started.` });
    else session.start();
    const outcome = session.outcome.then((settledOutcome) => {
      request.abortSignal.removeEventListener('abort', onAbort);
      this.#activeRuns.delete(onDispose);
      runner.attach(undefined);
      if (!settledOutcome.clean) runner.kill();
      return settledOutcome;
    });
    return {
      result: session.result,
      outcome,
      get settled() {
        return session.settled;
      },
    };
  }
}

function poolKey(language: SandboxLanguage, memoryLimitBytes: number): string {
  return `${language}|${memoryLimitBytes}`;
}

/** Creates a subprocess sandbox; see `SubprocessSandboxSettings`. Dispose it to stop its processes. */
export function createSubprocessSandbox(settings?: SubprocessSandboxSettings): SubprocessSandbox {
  return new SubprocessSandbox(settings);
}

