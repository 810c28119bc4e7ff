import { createHash, randomBytes } from 'node:crypto';
import { SandboxConfigurationError, SandboxConnectionError, SandboxDisposedError, SandboxError, SandboxStartError } from '@codecall/core';
import type {
  RunError,
  SandboxCapabilitiesV1,
  SandboxExecuteRequestV1,
  SandboxExecuteResultV1,
  SandboxLanguage,
  SandboxV1,
} from '@codecall/core';
import { RunnerSession, readRunnerSource, runnerRuntimeOf } from '@codecall/runner';
import type { CommandStartOpts, SandboxOpts } from '@e2b/code-interpreter';
import { SandboxExpiredError, isProcessNotFound, isSandboxGone, toSandboxError } from './e2b-errors.js';
import type { E2BOperation } from './e2b-errors.js';
import type { E2BCommandHandle, E2BSandboxClass, E2BSandboxInstance } from './e2b-sdk-surface.js';
import type { E2BRunUsage, E2BSandboxUsage } from './e2b-usage.js';

/** Settings of `createE2BSandbox`. Every field is optional. */
export interface E2BSandboxSettings {
  /**
   * An E2B sandbox the caller already has (`await Sandbox.create()` from `@e2b/code-interpreter`
   * or `e2b`). The caller owns its lifecycle: `dispose` kills only the runner commands this
   * adapter started, never the sandbox, and its timeout is not refreshed unless `keepAlive` is
   * true. Exclusive with `sandboxId`.
   */
  readonly sandbox?: E2BSandboxInstance;
  /**
   * Id of a running E2B sandbox to connect to with `sandboxClass.connect` (using the connection
   * fields of `sandboxOptions`: `apiKey`, `domain`, `requestTimeoutMs`…). The caller owns its
   * lifecycle, as with `sandbox`. Exclusive with `sandbox`.
   */
  readonly sandboxId?: string;
  /**
   * The SDK class used to create or connect: `Sandbox` from `@e2b/code-interpreter` by default
   * (loaded on first use), `e2b`'s `Sandbox`, a subclass, or the local stand-in of
   * `@codecall/sandbox-e2b/testing`.
   */
  readonly sandboxClass?: E2BSandboxClass;
  /**
   * Options of `Sandbox.create` when the adapter creates the sandbox, the SDK's own `SandboxOpts`:
   * `template` (default: the class's template, `code-interpreter-v1`), `timeoutMs` (how long the
   * sandbox lives without a run; default 300,000, refreshed before runs), `metadata`, `envs`,
   * `allowInternetAccess`, `apiKey` (default the `E2B_API_KEY` environment variable), `domain`,
   * `requestTimeoutMs`… The adapter adds `metadata.codecallSandboxId`.
   */
  readonly sandboxOptions?: SandboxOpts;
  /**
   * Whether to refresh the sandbox's timeout (`sandbox.setTimeout`) before runs so that it outlives
   * them. Default true for a sandbox the adapter creates, false for a supplied or connected one.
   */
  readonly keepAlive?: boolean;
  /**
   * Languages this sandbox runs. `javascript` and `typescript` need `nodeCommand` (TypeScript needs
   * Node >= 22.13 in the template), `python` needs `pythonCommand`. Default `['javascript', 'python']`.
   */
  readonly languages?: readonly SandboxLanguage[];
  /** Shell word(s) that start Node.js inside the sandbox. Default `node`. */
  readonly nodeCommand?: string;
  /** Shell word(s) that start Python 3.9+ inside the sandbox. Default `python3`. */
  readonly pythonCommand?: string;
  /**
   * Directory inside the sandbox for the uploaded runner programs and the per-run working
   * directories. Default `/tmp/codecall`.
   */
  readonly remoteDirectory?: string;
  /**
   * Environment variables of the runner (and so of guest code), by value. Nothing of the host's
   * environment reaches the sandbox. The adapter sets `TMPDIR` to the run's private directory.
   */
  readonly envs?: Readonly<Record<string, string>>;
  /**
   * Also cap each runner's address space with `ulimit -v` (`limits.memoryLimitBytes` + 2 GiB for
   * node, + 96 MiB for python), so that a runaway Python run ends with `MEMORY_LIMIT` instead of
   * pressing on the VM's memory. Default false: native libraries (numpy's BLAS, for one) reserve far
   * more address space than they use and would fail to load under the default limits.
   */
  readonly addressSpaceLimit?: boolean;
  /** User the runner runs as (`CommandStartOpts.user`). Default: the template's default user. */
  readonly user?: CommandStartOpts['user'];
  /**
   * How long creating or connecting to the sandbox, uploading the runners, or starting a runner
   * command may take before the run fails with a retryable `SandboxError`, in ms. Default 60,000.
   */
  readonly startTimeoutMs?: number;
  /**
   * Bound of each other request to E2B (`sendStdin`, `kill`, `setTimeout`), in ms; a request that
   * takes longer counts as a lost connection. Default 15,000.
   */
  readonly requestTimeoutMs?: number;
  /** Called once per run when it settles, with what it cost; see `E2BRunUsage`. Exceptions it throws are ignored. */
  readonly onRunUsage?: (usage: E2BRunUsage) => void;
}

type Runtime = 'node' | 'python';

interface Remote {
  readonly instance: E2BSandboxInstance;
  readonly owned: boolean;
  readonly createdAt: number;
  readonly startMs: number;
  endedAt: number | undefined;
  gone: boolean;
  upload: Promise<RunnerPaths> | undefined;
  expiresAt: number;
  readonly staleDirectories: string[];
}

interface RunnerPaths {
  readonly node: string;
  readonly python: string;
}

interface Acquired {
  readonly remote: Remote;
  readonly coldStart: boolean;
  readonly sandboxStartMs: number;
}

const allLanguages: readonly SandboxLanguage[] = ['javascript', 'typescript', 'python'];
const mebibyte = 1024 * 1024;
const defaultKeepAliveMs = 300_000;
const maxStdinChunkBytes = 256 * 1024;
const stderrTailLength = 4_096;
// Address space of the interpreter before guest code runs (V8 reserves about 1 GiB up front).
const nodeAddressSpaceBaseBytes = 2048 * mebibyte;
const pythonAddressSpaceBaseBytes = 96 * mebibyte;
// A runner that reported its result and has not exited after this long is killed.
const reapAfterMs = 2_000;
// Rejection reason of `until` when the run is aborted or the adapter disposed.
const cancelled = new Error('cancelled');

const runtimeOf: (language: SandboxLanguage) => Runtime = runnerRuntimeOf;
const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;
const crashed = (message: string): RunError => ({ code: 'SANDBOX_CRASHED', name: 'SandboxCrashedError', message });
const utf8 = new TextEncoder();

function positiveInteger(name: string, value: number | undefined, fallback: number, sandboxId: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new SandboxConfigurationError(`settings.${name} must be a positive integer, got ${String(value)}.`, { sandboxId });
  return value;
}

/**
 * Resolves with `promise`, or rejects with `cancelled` when `signal` fires, or with
 * `onTimeout()` after `timeoutMs`. The losing promise is left to settle on its own.
 */
function until<T>(promise: Promise<T>, signal: AbortSignal | undefined, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      finish();
      reject(cancelled);
    };
    const timer = setTimeout(() => {
      finish();
      reject(onTimeout());
    }, timeoutMs);
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        finish();
        resolve(value);
      },
      (error: unknown) => {
        finish();
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- forwards the original rejection unchanged
        reject(error);
      },
    );
  });
}

/** Calls into the SDK (or a stand-in) so that a synchronous throw becomes a rejection too. */
function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(request());
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- forwards what the SDK threw, unchanged
    return Promise.reject(error);
  }
}

let sandboxCounter = 0;

/**
 * Runs guest code in E2B cloud sandboxes (Firecracker microVMs) while the tools stay on the host.
 * Each run starts a fresh runner program (`@codecall/runner`'s, uploaded once per sandbox) as a
 * background command; its stdout feeds a `RunnerSession` (the host side shared with the subprocess
 * adapter) and the session's answers go back with `sendStdin`, in order. The sandbox is created on first use (or supplied), kept alive and shared
 * by concurrent runs. Remote faults (expiry, lost connection, rate limit, authentication) reject
 * `execute` with typed `SandboxError`s; everything the guest causes is a result.
 */
export class E2BSandbox implements SandboxV1 {
  /** Always `'v1'`. */
  readonly specificationVersion = 'v1' as const;
  /** `e2b:<n>:<random>`; the E2B sandbox's own id is `remoteSandboxId`. */
  readonly sandboxId: string;
  /** Isolation `microvm`; network unless `sandboxOptions.allowInternetAccess` is false; no per-run memory limit. */
  readonly capabilities: SandboxCapabilitiesV1;
  readonly #settings: E2BSandboxSettings;
  readonly #startTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #keepAliveMs: number;
  readonly #remoteDirectory: string;
  readonly #runnerHash: string;
  readonly #cancels = new Set<AbortController>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #ownedRemotes: Remote[] = [];
  readonly #usage = { runs: 0, runSandboxSeconds: 0 };
  #remote: Promise<Remote> | undefined;
  #lastRemote: Remote | undefined;
  #disposed = false;
  #disposal: Promise<void> | undefined;
  #runCounter = 0;

  constructor(settings: E2BSandboxSettings = {}) {
    this.sandboxId = `e2b:${++sandboxCounter}:${randomBytes(4).toString('hex')}`;
    this.#settings = settings;
    if (settings.sandbox !== undefined && settings.sandboxId !== undefined) {
      throw new SandboxConfigurationError('settings.sandbox and settings.sandboxId are exclusive; pass one.', { sandboxId: this.sandboxId });
    }
    const languages = settings.languages ?? ['javascript', 'python'];
    if (languages.length === 0 || languages.some((language) => !allLanguages.includes(language))) {
      throw new SandboxConfigurationError(`settings.languages must be a non-empty subset of ${allLanguages.join(', ')}.`, { sandboxId: this.sandboxId });
    }
    this.#startTimeoutMs = positiveInteger('startTimeoutMs', settings.startTimeoutMs, 60_000, this.sandboxId);
    this.#requestTimeoutMs = positiveInteger('requestTimeoutMs', settings.requestTimeoutMs, 15_000, this.sandboxId);
    this.#keepAliveMs = positiveInteger('sandboxOptions.timeoutMs', settings.sandboxOptions?.timeoutMs, defaultKeepAliveMs, this.sandboxId);
    this.#remoteDirectory = (settings.remoteDirectory ?? '/tmp/codecall').replace(/\/+$/, '');
    if (!this.#remoteDirectory.startsWith('/')) {
      throw new SandboxConfigurationError('settings.remoteDirectory must be an absolute path.', { sandboxId: this.sandboxId });
    }
    const hash = createHash('sha256');
    for (const runtime of ['node', 'python'] as const) hash.update(readRunnerSource(runtime));
    this.#runnerHash = hash.digest('hex').slice(0, 16);
    this.capabilities = Object.freeze({
      languages: Object.freeze([...new Set(languages)]),
      isolation: 'microvm',
      network: settings.sandboxOptions?.allowInternetAccess !== false,
      filesystem: true,
      processApi: true,
      // Node's heap is capped (and optionally the address space), but not memory outside the heap.
      memoryLimit: false,
      // The runner's `out` messages arrive with the command's stdout as E2B streams it.
      liveOutput: true,
    });
  }

  /** E2B's id of the current sandbox, once there is one. */
  get remoteSandboxId(): string | undefined {
    return this.#lastRemote?.instance.sandboxId;
  }

  /**
   * Creates (or connects to) the E2B sandbox and uploads the runner programs now, so that the
   * first run starts warm. Rejects with the same typed `SandboxError`s as `execute`.
   */
  async warmUp(): Promise<void> {
    if (this.#disposed) throw new SandboxDisposedError(this.sandboxId);
    try {
      const { remote } = await this.#acquire(undefined);
      await this.#upload(remote, undefined);
    } catch (error) {
      if (error === cancelled) throw new SandboxDisposedError(this.sandboxId);
      throw error;
    }
  }

  /** Totals of this adapter's runs and sandboxes; see `E2BSandboxUsage`. */
  usage(): E2BSandboxUsage {
    const now = performance.now();
    let lifetimeMs = 0;
    let startMs = 0;
    for (const remote of this.#ownedRemotes) {
      lifetimeMs += (remote.endedAt ?? now) - remote.createdAt;
      startMs += remote.startMs;
    }
    return {
      runs: this.#usage.runs,
      runSandboxSeconds: this.#usage.runSandboxSeconds,
      sandboxesCreated: this.#ownedRemotes.length,
      sandboxStartSeconds: startMs / 1000,
      sandboxLifetimeSeconds: lifetimeMs / 1000,
    };
  }

  async execute(request: SandboxExecuteRequestV1): Promise<SandboxExecuteResultV1> {
    if (this.#disposed) throw new SandboxDisposedError(this.sandboxId);
    if (!this.capabilities.languages.includes(request.language)) {
      throw new SandboxConfigurationError(`Sandbox ${this.sandboxId} does not run ${request.language} (settings.languages).`, { code: 'UNSUPPORTED_LANGUAGE', sandboxId: this.sandboxId });
    }
    if (request.abortSignal.aborted) return aborted('The run was aborted.');
    const cancel = new AbortController();
    const onAbort = (): void => cancel.abort('aborted');
    request.abortSignal.addEventListener('abort', onAbort, { once: true });
    this.#cancels.add(cancel);
    let acquired: Acquired | undefined;
    let running = false;
    try {
      acquired = await this.#acquire(cancel.signal);
      const paths = await this.#upload(acquired.remote, cancel.signal);
      this.#keepAlive(acquired.remote, request.limits.timeoutMs);
      running = true;
      return await this.#run(acquired, paths, request, cancel.signal);
    } catch (error) {
      const wasCancelled = error === cancelled;
      // A run that started reports its own usage.
      if (!running) {
        this.#report({
          executionId: request.executionId,
          remoteSandboxId: acquired?.remote.instance.sandboxId,
          language: request.language,
          coldStart: acquired?.coldStart ?? false,
          sandboxStartMs: acquired?.sandboxStartMs ?? 0,
          commandStartMs: 0,
          sandboxSeconds: 0,
          outcome: wasCancelled ? 'error' : 'fault',
        });
      }
      if (wasCancelled) return aborted(cancel.signal.reason === 'disposed' ? `Sandbox ${this.sandboxId} was disposed before the code started.` : 'The run was aborted.');
      throw error;
    } finally {
      request.abortSignal.removeEventListener('abort', onAbort);
      this.#cancels.delete(cancel);
    }
  }

  dispose(): Promise<void> {
    if (this.#disposal !== undefined) return this.#disposal;
    this.#disposed = true;
    for (const cancel of this.#cancels) cancel.abort('disposed');
    this.#disposal = this.#disposeRemote();
    return this.#disposal;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  async #disposeRemote(): Promise<void> {
    const boundMs = Math.min(this.#requestTimeoutMs, 10_000);
    const remotePromise = this.#remote;
    const last = this.#lastRemote;
    if (last !== undefined) this.#track(this.#endRemote(last, boundMs));
    // A sandbox still being created is killed when it arrives, without holding up dispose.
    if (remotePromise !== undefined) void remotePromise.then((remote) => (remote === last ? undefined : this.#endRemote(remote, boundMs)), () => undefined);
    const pending = [...this.#pending];
    await until(Promise.allSettled(pending), undefined, boundMs + 1_000, () => new Error('timed out')).catch(() => undefined);
  }

  async #endRemote(remote: Remote, boundMs: number): Promise<void> {
    if (remote.owned) {
      if (remote.endedAt === undefined) remote.endedAt = performance.now();
      if (!remote.gone) await until(call(() => remote.instance.kill({ requestTimeoutMs: boundMs })), undefined, boundMs, () => new Error('timed out')).catch(() => undefined);
      return;
    }
    const stale = remote.staleDirectories.splice(0);
    if (stale.length === 0 || remote.gone) return;
    // The caller keeps the sandbox: remove the working directories of finished runs.
    const cleanup = async (): Promise<void> => {
      const handle = await remote.instance.commands.run(`rm -rf ${stale.map(quote).join(' ')}`, { background: true, timeoutMs: boundMs, requestTimeoutMs: boundMs });
      await handle.wait();
    };
    await until(cleanup(), undefined, boundMs, () => new Error('timed out')).catch(() => undefined);
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => undefined).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  #report(usage: E2BRunUsage): void {
    if (usage.sandboxSeconds > 0 || usage.commandStartMs > 0) {
      this.#usage.runs++;
      this.#usage.runSandboxSeconds += usage.sandboxSeconds;
    }
    try {
      this.#settings.onRunUsage?.(usage);
    } catch {
      // A failing usage callback must not change the run's outcome.
    }
  }

  // --- the remote sandbox ------------------------------------------------------------------

  async #acquire(signal: AbortSignal | undefined): Promise<Acquired> {
    const wait = (promise: Promise<Remote>): Promise<Remote> =>
      until(promise, signal, this.#startTimeoutMs, () => {
        // Give up on this attempt: the next run tries again, and a sandbox that arrives late is killed.
        if (this.#remote === promise) {
          this.#remote = undefined;
          void promise.then((late) => this.#endRemote(late, this.#requestTimeoutMs), () => undefined);
        }
        return this.#startTimeout('create');
      });
    let current = this.#remote;
    if (current !== undefined) {
      const remote = await wait(current);
      if (!remote.gone) return { remote, coldStart: false, sandboxStartMs: 0 };
      if (!remote.owned) {
        throw new SandboxExpiredError(`The E2B sandbox ${remote.instance.sandboxId} is gone (expired or killed); supply a running one.`, { sandboxId: this.sandboxId, retryable: false });
      }
      if (this.#remote === current) this.#remote = undefined;
    }
    current = this.#remote;
    if (current === undefined) {
      const created = this.#obtain();
      this.#remote = created;
      created.catch(() => {
        if (this.#remote === created) this.#remote = undefined;
      });
      const startedAt = performance.now();
      const remote = await wait(created);
      return { remote, coldStart: true, sandboxStartMs: performance.now() - startedAt };
    }
    const remote = await wait(current);
    return { remote, coldStart: false, sandboxStartMs: 0 };
  }

  async #obtain(): Promise<Remote> {
    const settings = this.#settings;
    const startedAt = performance.now();
    if (settings.sandbox !== undefined) {
      return this.#remember({ instance: settings.sandbox, owned: false, createdAt: startedAt, startMs: 0, endedAt: undefined, gone: false, upload: undefined, expiresAt: 0, staleDirectories: [] });
    }
    const options = settings.sandboxOptions ?? {};
    const apiKey = options.apiKey ?? process.env['E2B_API_KEY'];
    const requestTimeoutMs = options.requestTimeoutMs ?? this.#startTimeoutMs;
    let sandboxClass = settings.sandboxClass;
    if (sandboxClass === undefined) {
      try {
        sandboxClass = (await import('@e2b/code-interpreter')).Sandbox;
      } catch (error) {
        throw new SandboxStartError(`Cannot load @e2b/code-interpreter: ${error instanceof Error ? error.message : String(error)}`, { sandboxId: this.sandboxId, cause: error });
      }
    }
    if (settings.sandboxId !== undefined) {
      let instance: E2BSandboxInstance;
      try {
        const { timeoutMs: _timeoutMs, template: _template, metadata: _metadata, envs: _envs, ...connection } = options;
        instance = await sandboxClass.connect(settings.sandboxId, { ...connection, requestTimeoutMs, ...(apiKey === undefined ? {} : { apiKey }) });
      } catch (error) {
        throw toSandboxError(error, { operation: 'connect', sandboxId: this.sandboxId, owned: false });
      }
      return this.#remember({ instance, owned: false, createdAt: startedAt, startMs: performance.now() - startedAt, endedAt: undefined, gone: false, upload: undefined, expiresAt: 0, staleDirectories: [] });
    }
    let instance: E2BSandboxInstance;
    try {
      instance = await sandboxClass.create({
        ...options,
        timeoutMs: this.#keepAliveMs,
        requestTimeoutMs,
        metadata: { ...options.metadata, codecallSandboxId: this.sandboxId },
        ...(apiKey === undefined ? {} : { apiKey }),
      });
    } catch (error) {
      throw toSandboxError(error, { operation: 'create', sandboxId: this.sandboxId, owned: true });
    }
    const createdAt = performance.now();
    const remote: Remote = { instance, owned: true, createdAt, startMs: createdAt - startedAt, endedAt: undefined, gone: false, upload: undefined, expiresAt: createdAt + this.#keepAliveMs, staleDirectories: [] };
    this.#ownedRemotes.push(remote);
    // When dispose() ran meanwhile, it kills this sandbox as soon as this promise settles.
    return this.#remember(remote);
  }

  #remember(remote: Remote): Remote {
    this.#lastRemote = remote;
    return remote;
  }

  #startTimeout(operation: E2BOperation): SandboxError {
    const what = operation === 'create' ? 'create the sandbox' : operation === 'upload' ? 'upload the runner programs' : 'start the runner';
    return operation === 'create'
      ? new SandboxStartError(`E2B did not ${what} within settings.startTimeoutMs (${this.#startTimeoutMs} ms).`, { sandboxId: this.sandboxId, retryable: true })
      : new SandboxConnectionError(`E2B did not ${what} within settings.startTimeoutMs (${this.#startTimeoutMs} ms).`, { sandboxId: this.sandboxId });
  }

  #markGone(remote: Remote): void {
    remote.gone = true;
    if (remote.endedAt === undefined) remote.endedAt = performance.now();
  }

  #upload(remote: Remote, signal: AbortSignal | undefined): Promise<RunnerPaths> {
    let upload = remote.upload;
    if (upload === undefined) {
      const directory = `${this.#remoteDirectory}/runner-${this.#runnerHash}`;
      const paths: RunnerPaths = { node: `${directory}/node-runner.mjs`, python: `${directory}/python-runner.py` };
      const runtimes = [...new Set(this.capabilities.languages.map(runtimeOf))];
      upload = Promise.all(runtimes.map((runtime) => call(() => remote.instance.files.write(paths[runtime], readRunnerSource(runtime), { requestTimeoutMs: this.#startTimeoutMs })))).then(
        () => paths,
        (error: unknown) => {
          const mapped = toSandboxError(error, { operation: 'upload', sandboxId: this.sandboxId, owned: remote.owned });
          if (mapped instanceof SandboxExpiredError) this.#markGone(remote);
          throw mapped;
        },
      );
      remote.upload = upload;
      upload.catch(() => {
        if (remote.upload === upload) remote.upload = undefined;
      });
    }
    return until(upload, signal, this.#startTimeoutMs, () => this.#startTimeout('upload'));
  }

  #keepAlive(remote: Remote, runTimeoutMs: number): void {
    if (!(this.#settings.keepAlive ?? remote.owned)) return;
    const now = performance.now();
    const neededUntil = now + runTimeoutMs + this.#startTimeoutMs + 30_000;
    if (remote.expiresAt - now > this.#keepAliveMs / 2 && remote.expiresAt >= neededUntil) return;
    const timeoutMs = Math.max(this.#keepAliveMs, runTimeoutMs + this.#startTimeoutMs + 60_000);
    remote.expiresAt = now + timeoutMs;
    this.#track(
      until(call(() => remote.instance.setTimeout(timeoutMs, { requestTimeoutMs: this.#requestTimeoutMs })), undefined, this.#requestTimeoutMs, () => new Error('timed out')).catch((error: unknown) => {
        // An expired sandbox shows up in the run itself; only remember it here.
        if (isSandboxGone(error)) this.#markGone(remote);
        else remote.expiresAt = 0;
      }),
    );
  }

  #kill(remote: Remote, pid: number): void {
    if (remote.gone) return;
    this.#track(until(call(() => remote.instance.commands.kill(pid, { requestTimeoutMs: this.#requestTimeoutMs })), undefined, this.#requestTimeoutMs, () => new Error('timed out')));
  }

  // --- one run -----------------------------------------------------------------------------

  #command(remote: Remote, paths: RunnerPaths, request: SandboxExecuteRequestV1, runDirectory: string): string {
    const runtime = runtimeOf(request.language);
    const memory = request.limits.memoryLimitBytes;
    const addressSpaceKib = Math.ceil((memory + (runtime === 'node' ? nodeAddressSpaceBaseBytes : pythonAddressSpaceBaseBytes)) / 1024);
    const stale = remote.staleDirectories.splice(0);
    const cleanup = stale.length > 0 ? `rm -rf ${stale.map(quote).join(' ')} 2>/dev/null; ` : '';
    const interpreter =
      runtime === 'node'
        ? `${this.#settings.nodeCommand ?? 'node'} --max-old-space-size=${Math.max(8, Math.floor(memory / mebibyte))} --no-deprecation ${quote(paths.node)} --language ${request.language}`
        : `${this.#settings.pythonCommand ?? 'python3'} -I -B ${quote(paths.python)}`;
    const rlimit = this.#settings.addressSpaceLimit === true ? `ulimit -v ${addressSpaceKib} 2>/dev/null; ` : '';
    // The protocol moves to descriptors 3 and 4 and the runner's stdio to /dev/null before it starts,
    // so that descriptor-level guest writes cannot reach the stream whether E2B's stdio is a pipe or a socket.
    return `${cleanup}mkdir -p ${quote(runDirectory)} && cd ${quote(runDirectory)} && { ${rlimit}exec ${interpreter} --protocol-fds 3,4 3<&0 4>&1 </dev/null >/dev/null; }`;
  }

  #run(acquired: Acquired, paths: RunnerPaths, request: SandboxExecuteRequestV1, signal: AbortSignal): Promise<SandboxExecuteResultV1> {
    const { remote } = acquired;
    const { limits } = request;
    const runtime = runtimeOf(request.language);
    const runDirectory = `${this.#remoteDirectory}/runs/${process.pid}-${++this.#runCounter}-${randomBytes(6).toString('hex')}`;
    const command = this.#command(remote, paths, request, runDirectory);
    let stderrTail = '';
    let ended = false;
    let settled = false;
    let handle: E2BCommandHandle | undefined;
    let stdinChain: Promise<void> = Promise.resolve();
    let commandStartMs = 0;
    const launchedAt = performance.now();
    const context = { sandboxId: this.sandboxId, owned: remote.owned };

    return new Promise<SandboxExecuteResultV1>((resolve, reject) => {
      const write = (text: string): void => {
        const bytes = utf8.encode(text);
        for (let offset = 0; offset < bytes.length; offset += maxStdinChunkBytes) {
          const chunk = bytes.subarray(offset, offset + maxStdinChunkBytes);
          stdinChain = stdinChain.then(async () => {
            if (settled || ended || handle === undefined) return;
            const pid = handle.pid;
            await until(call(() => remote.instance.commands.sendStdin(pid, chunk, { requestTimeoutMs: this.#requestTimeoutMs })), undefined, this.#requestTimeoutMs + 1_000, () => new SandboxConnectionError(`sendStdin did not complete within settings.requestTimeoutMs (${this.#requestTimeoutMs} ms).`, { sandboxId: this.sandboxId }));
          });
        }
        stdinChain = stdinChain.catch((error: unknown) => {
          // A runner that already ended reports how through wait(); anything else is a broken link.
          if (settled || ended || isProcessNotFound(error)) return;
          fault(error, 'run');
        });
      };
      const session = new RunnerSession({ request, write, expectReady: true });

      const finish = (outcome: { result: SandboxExecuteResultV1; clean: boolean } | { fault: SandboxError }): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onCancel);
        remote.staleDirectories.push(runDirectory);
        const pid = handle?.pid;
        if (pid !== undefined && !ended) {
          if ('fault' in outcome || !outcome.clean) this.#kill(remote, pid);
          else {
            // The runner exits by itself after its last message; make sure of it.
            const reaper = setTimeout(() => {
              if (!ended) this.#kill(remote, pid);
            }, reapAfterMs);
            reaper.unref();
          }
        }
        this.#report({
          executionId: request.executionId,
          remoteSandboxId: remote.instance.sandboxId,
          language: request.language,
          coldStart: acquired.coldStart,
          sandboxStartMs: acquired.sandboxStartMs,
          commandStartMs,
          sandboxSeconds: (performance.now() - launchedAt) / 1000,
          outcome: 'result' in outcome ? outcome.result.type : 'fault',
        });
        if ('result' in outcome) resolve(outcome.result);
        else reject(outcome.fault);
      };
      session.outcome.then(finish, () => undefined);
      const fault = (error: unknown, operation: E2BOperation): void => {
        if (settled) return;
        const mapped = toSandboxError(error, { ...context, operation });
        if (mapped instanceof SandboxExpiredError) this.#markGone(remote);
        finish({ fault: mapped });
        session.stop(crashed('The connection to the sandbox was lost.'));
      };
      const onCancel = (): void => {
        session.stop({ code: 'ABORTED', name: 'AbortError', message: signal.reason === 'disposed' ? `Sandbox ${this.sandboxId} was disposed while the code ran.` : 'The run was aborted.' });
      };
      if (signal.aborted) {
        onCancel();
        return;
      }
      signal.addEventListener('abort', onCancel, { once: true });

      const onStdout = (chunk: string): void => session.receive(chunk);
      const onStderr = (chunk: string): void => {
        stderrTail = (stderrTail + chunk).slice(-stderrTailLength);
      };

      const onEnd = (error: unknown): void => {
        ended = true;
        if (settled || session.settled) return;
        const exitCode = typeof error === 'object' && error !== null && typeof (error as { exitCode?: unknown }).exitCode === 'number' ? (error as { exitCode: number }).exitCode : error === undefined ? 0 : undefined;
        if (exitCode === undefined) {
          // The stream broke before the command ended: the link or the sandbox is gone.
          fault(error, 'run');
          return;
        }
        if (!session.isReady) {
          // Nothing of the guest ran: a host fault (missing interpreter, deleted runner file…).
          remote.upload = undefined;
          const tail = stderrTail.trim().split('\n').slice(-5).join('\n').slice(-1_000);
          finish({ fault: new SandboxStartError(`The ${runtime} runner exited with code ${exitCode} before it was ready (check settings.${runtime}Command and the template).${tail.length > 0 ? ` Its stderr: ${tail}` : ''}`, { sandboxId: this.sandboxId, retryable: true }) });
          session.stop(crashed('The runner did not start.'));
          return;
        }
        session.end({ code: exitCode, signal: null, stderrTail });
      };

      const started = call(() => remote.instance.commands.run(command, {
        background: true,
        stdin: true,
        onStdout,
        onStderr,
        envs: { ...this.#settings.envs, TMPDIR: runDirectory },
        timeoutMs: limits.timeoutMs + this.#startTimeoutMs + 30_000,
        requestTimeoutMs: this.#startTimeoutMs,
        ...(this.#settings.user === undefined ? {} : { user: this.#settings.user }),
      }));
      until(started, signal, this.#startTimeoutMs, () => this.#startTimeout('start-command')).then(
        (commandHandle) => {
          handle = commandHandle;
          commandStartMs = performance.now() - launchedAt;
          call(() => commandHandle.wait()).then(
            () => onEnd(undefined),
            (error: unknown) => onEnd(error),
          );
          if (settled) return;
          session.start();
        },
        (error: unknown) => {
          // A handle that arrives after we gave up is killed at once.
          started.then((late) => this.#kill(remote, late.pid), () => undefined);
          if (error === cancelled) return;
          if (SandboxError.isInstance(error)) {
            if (!settled) {
              finish({ fault: error });
              session.stop(crashed('The runner did not start.'));
            }
            return;
          }
          fault(error, 'start-command');
        },
      );
    });
  }
}

function aborted(message: string): SandboxExecuteResultV1 {
  return { type: 'error', error: { code: 'ABORTED', name: 'AbortError', message }, stdout: '', stderr: '', outputTruncated: false };
}

/**
 * Creates an E2B sandbox adapter; see `E2BSandboxSettings`. The E2B sandbox is created (or
 * connected) on the first run or on `warmUp()`; dispose the adapter to kill what it created.
 */
export function createE2BSandbox(settings?: E2BSandboxSettings): E2BSandbox {
  return new E2BSandbox(settings);
}
