import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { SandboxCapabilitiesV1, SandboxExecuteRequestV1, SandboxExecuteResultV1, SandboxV1 } from '@codecall/core';
import { SandboxConfigurationError, SandboxDisposedError, SandboxStartError } from '@codecall/core';
import { toJavaScript } from './guest-code.js';
import { IsolateEngine } from './isolate-engine.js';
import { SupervisedEngine } from './supervised-engine.js';

/** Where the isolates live. */
export type IsolatedVmSandboxMode = 'in-process' | 'supervised';

/** Settings of `createIsolatedVmSandbox`. Every field is optional. */
export interface IsolatedVmSandboxSettings {
  /**
   * Where the isolates live. Default `'supervised'`.
   * - `'in-process'`: isolates in this process; fastest. The host Node must run with
   *   `--no-node-snapshot`. A guest that drives V8 into a *fatal* out-of-memory (for example a `Map`
   *   grown to millions of entries) aborts the whole process: V8 offers no way to survive it.
   * - `'supervised'`: isolates in child Node processes started with `--no-node-snapshot` when the
   *   sandbox is created (`ready()` resolves once they are up), each hosting up to
   *   `isolatesPerProcess` runs at once; tool calls cross as JSON lines over pipes. A fatal
   *   out-of-memory kills only that child: its runs end with `MEMORY_LIMIT` (or `SANDBOX_CRASHED`)
   *   and the child is replaced. Costs tens of microseconds per tool call more than in-process
   *   (see README).
   *
   * Default `'supervised'`: model-written code is untrusted, and only this mode keeps the host alive
   * whatever the guest does. Choose `'in-process'` for the lowest latency when a host crash is
   * acceptable.
   */
  readonly mode?: IsolatedVmSandboxMode;
  /**
   * Warm units kept ready between runs, so a run does not pay for creating one: prepared isolates
   * (each with a fresh context) in `'in-process'` mode; child processes started when the sandbox is
   * created and kept alive while idle in `'supervised'` mode (each with `isolatesPerProcess`
   * prepared isolates). `0` disables pooling (every run starts cold and its isolate or process is
   * discarded). Runs beyond the pool create more units on demand. Integer 0–64, default `2`
   * in-process, `1` supervised.
   */
  readonly poolSize?: number;
  /**
   * `'supervised'` only: runs one child process hosts at once, each in its own isolate (and a fresh
   * context per run). More per process means fewer processes (about 70 MB each) and warm runs for
   * bursts; the price is shared fate: a fatal out-of-memory (or a broken protocol) in one run ends
   * every run of that process, all reported as errors, and the process is replaced. `1` gives
   * every run a process of its own. Integer 1–64, default `4`.
   */
  readonly isolatesPerProcess?: number;
  /**
   * `'supervised'` only: the Node executable of the child processes. Default `process.execPath`.
   * The child always gets `--no-node-snapshot`.
   */
  readonly nodeExecutable?: string;
  /**
   * `'supervised'` only: the most child processes running guest code at once (each costs about
   * 70 MB, and a run waiting on a slow tool holds its place). At most `maxProcesses ×
   * isolatesPerProcess` runs execute at once; runs beyond it wait for a free place; the wait counts against the run's `timeoutMs` (a run still waiting when it has passed
   * ends with `TIMEOUT`), and an abort or a dispose ends a waiting run with `ABORTED`. Integer
   * 1–1024, default 8 × the available CPU cores (at least 16).
   */
  readonly maxProcesses?: number;
  /**
   * `'supervised'` only: how long a child process beyond `poolSize` stays alive while idle, in
   * milliseconds. Such a child starts when every child is busy (so that the next run finds one
   * ready); while runs keep coming it serves them, and it exits after this long without one. The
   * `poolSize` children stay while the sandbox lives. `0` stops it as soon as it is idle, which
   * makes a sandbox whose runs keep every child busy (e.g. `isolatesPerProcess: 1`) start a
   * process per run. Integer 0–3,600,000, default `10_000`.
   */
  readonly idleTimeoutMs?: number;
}

const capabilities: SandboxCapabilitiesV1 = Object.freeze({
  languages: Object.freeze(['javascript', 'typescript'] as const),
  isolation: 'isolate',
  network: false,
  filesystem: false,
  processApi: false,
  memoryLimit: true,
  liveOutput: true,
});

const defaultPoolSize = 2;
const defaultSupervisedPoolSize = 1;
const defaultIsolatesPerProcess = 4;
const defaultIdleTimeoutMs = 10_000;
const defaultMaxProcesses = Math.max(16, 8 * availableParallelism());

/** Whether this process runs with `--no-node-snapshot` (flag or `NODE_OPTIONS`), which isolated-vm needs on Node >= 20. */
export function hasNoNodeSnapshotFlag(): boolean {
  if (process.execArgv.includes('--no-node-snapshot')) return true;
  return (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes('--no-node-snapshot');
}

interface Engine {
  execute(request: SandboxExecuteRequestV1, javascript: string): Promise<SandboxExecuteResultV1>;
  ready(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A sandbox that runs JavaScript and TypeScript in V8 isolates (isolated-vm): no `process`,
 * `require`, network or file system inside, a heap limit per run, pooled isolates for warm starts.
 * Use `createIsolatedVmSandbox`.
 */
export class IsolatedVmSandbox implements SandboxV1 {
  /** Always `'v1'`. */
  readonly specificationVersion = 'v1' as const;
  /** `isolated-vm:<uuid>`, or `isolated-vm-supervised:<uuid>` in supervised mode. */
  readonly sandboxId: string;
  /** JavaScript and TypeScript, isolate boundary, no network, file system or process API, memory limit enforced, live output. */
  readonly capabilities: SandboxCapabilitiesV1 = capabilities;
  /** The mode this sandbox runs in. */
  readonly mode: IsolatedVmSandboxMode;
  readonly #engine: Engine;
  readonly #inFlight = new Set<Promise<unknown>>();
  #disposed: Promise<void> | undefined;

  constructor(settings: IsolatedVmSandboxSettings = {}) {
    const mode = settings.mode ?? 'supervised';
    if (mode !== 'in-process' && mode !== 'supervised') {
      throw new SandboxConfigurationError(`settings.mode must be 'in-process' or 'supervised', got ${String(mode)}.`);
    }
    const poolSize = settings.poolSize ?? (mode === 'supervised' ? defaultSupervisedPoolSize : defaultPoolSize);
    if (!Number.isSafeInteger(poolSize) || poolSize < 0 || poolSize > 64) {
      throw new SandboxConfigurationError(`settings.poolSize must be an integer from 0 to 64, got ${String(poolSize)}.`);
    }
    const maxProcesses = settings.maxProcesses ?? defaultMaxProcesses;
    if (!Number.isSafeInteger(maxProcesses) || maxProcesses < 1 || maxProcesses > 1024) {
      throw new SandboxConfigurationError(`settings.maxProcesses must be an integer from 1 to 1024, got ${String(maxProcesses)}.`);
    }
    const isolatesPerProcess = settings.isolatesPerProcess ?? defaultIsolatesPerProcess;
    if (!Number.isSafeInteger(isolatesPerProcess) || isolatesPerProcess < 1 || isolatesPerProcess > 64) {
      throw new SandboxConfigurationError(`settings.isolatesPerProcess must be an integer from 1 to 64, got ${String(isolatesPerProcess)}.`);
    }
    const idleTimeoutMs = settings.idleTimeoutMs ?? defaultIdleTimeoutMs;
    if (!Number.isSafeInteger(idleTimeoutMs) || idleTimeoutMs < 0 || idleTimeoutMs > 3_600_000) {
      throw new SandboxConfigurationError(`settings.idleTimeoutMs must be an integer from 0 to 3600000, got ${String(idleTimeoutMs)}.`);
    }
    this.mode = mode;
    this.sandboxId = `${mode === 'supervised' ? 'isolated-vm-supervised' : 'isolated-vm'}:${randomUUID()}`;
    if (mode === 'in-process') {
      if (!hasNoNodeSnapshotFlag()) {
        throw new SandboxStartError(
          'isolated-vm needs Node to run with --no-node-snapshot (Node >= 20). Start node with `node --no-node-snapshot …` ' +
            "or set NODE_OPTIONS=--no-node-snapshot, or create the sandbox with { mode: 'supervised' }, which starts its own child process with the flag.",
          { sandboxId: this.sandboxId },
        );
      }
      const engine = new IsolateEngine({ poolSize, sandboxId: this.sandboxId });
      this.#engine = {
        execute: (request, javascript) =>
          engine.execute({ code: javascript, tools: request.tools, limits: request.limits, abortSignal: request.abortSignal, callTool: request.callTool, onEvent: request.onEvent }),
        ready: () => Promise.resolve(),
        dispose: () => engine.dispose(),
      };
    } else {
      const engine = new SupervisedEngine({
        poolSize,
        maxProcesses,
        isolatesPerProcess,
        idleTimeoutMs,
        sandboxId: this.sandboxId,
        nodeExecutable: settings.nodeExecutable ?? process.execPath,
      });
      this.#engine = { execute: (request, javascript) => engine.execute(request, javascript), ready: () => engine.ready(), dispose: () => engine.dispose() };
    }
  }

  /**
   * Resolves once the sandbox can run code without a cold start: in `'supervised'` mode, when the
   * child processes started with the sandbox (`poolSize`) have loaded isolated-vm and prepared
   * their isolates (a few hundred milliseconds); in `'in-process'` mode at once. Rejects with a
   * `SandboxStartError` when a child could not start. Optional: a run started before it resolves
   * waits for its child.
   *
   * @example
   * ```ts
   * const sandbox = createIsolatedVmSandbox();
   * await sandbox.ready(); // e.g. while the model writes its first program
   * ```
   */
  ready(): Promise<void> {
    return this.#engine.ready();
  }

  /** Runs the code once; see `SandboxV1.execute`. */
  async execute(request: SandboxExecuteRequestV1): Promise<SandboxExecuteResultV1> {
    if (this.#disposed !== undefined) throw new SandboxDisposedError(this.sandboxId);
    const source = toJavaScript(request.language, request.code, this.sandboxId);
    if (source.type === 'error') return { type: 'error', error: source.error, stdout: '', stderr: '', outputTruncated: false };
    const execution = this.#engine.execute(request, source.code);
    this.#inFlight.add(execution);
    try {
      return await execution;
    } finally {
      this.#inFlight.delete(execution);
    }
  }

  /** Ends runs in flight with an error result and releases every isolate and child process. Idempotent. */
  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      await this.#engine.dispose();
      await Promise.allSettled([...this.#inFlight]);
    })();
    return this.#disposed;
  }

  /** Same as `dispose`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/**
 * Creates a sandbox that runs JavaScript and TypeScript in V8 isolates.
 *
 * @example
 * ```ts
 * await using sandbox = createIsolatedVmSandbox();
 * const result = await runCode({ sandbox, tools, code: 'return (await get_team_members({})).length;' });
 * ```
 */
export function createIsolatedVmSandbox(settings?: IsolatedVmSandboxSettings): IsolatedVmSandbox {
  return new IsolatedVmSandbox(settings);
}
