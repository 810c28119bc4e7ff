import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TextDecoder } from 'node:util';
import {
  AuthenticationError,
  CommandExitError,
  InvalidArgumentError,
  NotFoundError,
  RateLimitError,
  SandboxError as E2BSdkError,
  SandboxNotFoundError,
  TimeoutError,
} from '@e2b/code-interpreter';
import type {
  CommandHandle,
  CommandRequestOpts,
  CommandResult,
  CommandStartOpts,
  Commands,
  Filesystem,
  FilesystemWriteOpts,
  Sandbox,
  SandboxConnectOpts,
  SandboxOpts,
  WriteInfo,
} from '@e2b/code-interpreter';

/** Faults the stand-in injects into every sandbox of a `LocalE2BCloud`. */
export interface LocalE2BFaults {
  /**
   * Splits every stdout and stderr byte chunk of a command at random points (also inside UTF-8
   * sequences) before the SDK-style decoding, as E2B's stream does. `seed` makes it reproducible;
   * pieces are at most `maxPieceBytes` long (default 64).
   */
  readonly splitOutput?: { readonly seed: number; readonly maxPieceBytes?: number };
  /**
   * Delays every `sendStdin` by a random time in [`minMs`, `maxMs`] before the data reaches the
   * process, as a slow link would. Calls that overlap may then overtake each other, so a host that
   * does not wait for one write before the next sees its data reordered.
   */
  readonly stdinDelay?: { readonly seed: number; readonly minMs: number; readonly maxMs: number };
  /** Milliseconds every request (create, connect, run, sendStdin, kill, write, setTimeout) takes before it is served. Default 0. */
  readonly requestLatencyMs?: number;
}

/** A request kind of the stand-in, for `LocalE2BCloud.failNext`. */
export type LocalE2BOperation = 'create' | 'connect' | 'run' | 'sendStdin' | 'kill' | 'write' | 'setTimeout' | 'killSandbox';

/** Settings of `LocalE2BCloud`. Every field is optional. */
export interface LocalE2BCloudSettings {
  /** API keys the cloud accepts. Default: any non-empty key. A missing or refused key fails like E2B (`AuthenticationError`). */
  readonly apiKeys?: readonly string[];
  /** Sandboxes that may run at once; creating one more fails with `RateLimitError`. Default 20. */
  readonly maxSandboxes?: number;
  /**
   * Directories put first on `PATH` inside the sandboxes. Default: the directory of this Node.js
   * binary and of the real `python3` behind any pyenv shim.
   */
  readonly pathDirectories?: readonly string[];
  /** Faults injected into every sandbox. */
  readonly faults?: LocalE2BFaults;
  /** The bubblewrap binary that gives each command its own PID namespace and the sandbox's private `/tmp` and home. Default `bwrap`. */
  readonly bwrapPath?: string;
}

/** The static side of the stand-in, shaped like the SDK's `Sandbox` class (`create`, `connect`). */
export interface LocalE2BSandboxClass {
  /** Like `Sandbox.create(opts)`. */
  create(opts?: SandboxOpts): Promise<LocalE2BSandbox>;
  /** Like `Sandbox.connect(sandboxId, opts)`. */
  connect(sandboxId: string, opts?: SandboxConnectOpts): Promise<LocalE2BSandbox>;
}

type WriteEntry = Parameters<Filesystem['write']>[0] extends infer T ? (T extends readonly (infer E)[] ? E : never) : never;

const sandboxTimeoutHint =
  ": This error is likely due to sandbox timeout. You can modify the sandbox timeout by passing 'timeoutMs' when starting the sandbox or calling '.setTimeout' on the sandbox with the desired timeout.";

/** A seeded pseudo-random generator (mulberry32), so fault runs are reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hang = Symbol('hang');
const sleep = (ms: number): Promise<void> => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

function realPython(): string | undefined {
  try {
    return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 10_000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A local stand-in for E2B's cloud: it implements the part of the `@e2b/code-interpreter` SDK
 * surface the adapter uses (`Sandbox.create`/`connect`, `commands.run` with
 * `background`/`stdin`/`onStdout`/`onStderr`/`timeoutMs`, `sendStdin`, `kill`, `files.write`,
 * `setTimeout`, `kill`) with real child processes on this machine, and throws the SDK's own error
 * classes. Each sandbox gets a private `/tmp` and `/home/user` (shared by its commands, like a VM),
 * each command its own PID namespace and a clean environment through bubblewrap, with the host's
 * file system read-only. Faults: `faults` settings, `failNext`, and per sandbox `expire()` and
 * `dropConnections()`.
 */
export class LocalE2BCloud {
  /** The stand-in for the SDK's `Sandbox` class: pass it as `createE2BSandbox({ sandboxClass })`. */
  readonly Sandbox: LocalE2BSandboxClass;
  /** Settings of this cloud. */
  readonly settings: LocalE2BCloudSettings;
  readonly #sandboxes = new Map<string, LocalE2BSandbox>();
  readonly #failures = new Map<LocalE2BOperation, unknown[]>();
  readonly #pathDirectories: readonly string[];
  /** Sandboxes created so far (running or not). */
  created = 0;

  constructor(settings: LocalE2BCloudSettings = {}) {
    this.settings = settings;
    const python = realPython();
    this.#pathDirectories = settings.pathDirectories ?? [path.dirname(process.execPath), ...(python === undefined ? [] : [path.dirname(python)])];
    this.Sandbox = {
      create: (opts?: SandboxOpts) => this.#create(opts),
      connect: (sandboxId: string, opts?: SandboxConnectOpts) => this.#connect(sandboxId, opts),
    };
  }

  /** Whether this machine can run the stand-in (bubblewrap is installed and works). */
  static isSupported(bwrapPath = 'bwrap'): boolean {
    try {
      execFileSync(bwrapPath, ['--ro-bind', '/', '/', '--unshare-pid', '--unshare-user', '--die-with-parent', '/bin/true'], { timeout: 10_000, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  /** Sandboxes that are running now. */
  get running(): LocalE2BSandbox[] {
    return [...this.#sandboxes.values()].filter((sandbox) => sandbox.isAlive);
  }

  /** Makes the next request of `operation` (in any sandbox of this cloud) fail with `error`, e.g. `new RateLimitError('…')`. */
  failNext(operation: LocalE2BOperation, error: unknown): void {
    const queue = this.#failures.get(operation) ?? [];
    queue.push(error);
    this.#failures.set(operation, queue);
  }

  /** Makes the next request of `operation` never answer, as a silent network partition would. */
  hangNext(operation: LocalE2BOperation): void {
    this.failNext(operation, hang);
  }

  /** Kills every sandbox of this cloud (test cleanup). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.#sandboxes.values()].map((sandbox) => sandbox.kill()));
  }

  /** @internal Serves one request: latency, then an injected failure if any. */
  async request(operation: LocalE2BOperation): Promise<void> {
    await sleep(this.settings.faults?.requestLatencyMs ?? 0);
    const queue = this.#failures.get(operation);
    if (queue === undefined || queue.length === 0) return;
    const failure = queue.shift();
    if (failure === hang) await new Promise<never>(() => undefined);
    throw failure;
  }

  /** @internal */
  get pathDirectories(): readonly string[] {
    return this.#pathDirectories;
  }

  #authenticate(apiKey: string | undefined): void {
    const key = apiKey ?? process.env['E2B_API_KEY'];
    if (key === undefined || key.length === 0) {
      throw new AuthenticationError('API key is required, please visit the API Keys tab at https://e2b.dev/dashboard?tab=keys to get your API key.');
    }
    if (this.settings.apiKeys !== undefined && !this.settings.apiKeys.includes(key)) throw new AuthenticationError('401: Invalid API key');
  }

  async #create(opts: SandboxOpts = {}): Promise<LocalE2BSandbox> {
    await this.request('create');
    this.#authenticate(opts.apiKey);
    if (this.running.length >= (this.settings.maxSandboxes ?? 20)) {
      throw new RateLimitError('429: Rate limit exceeded, please try again later.');
    }
    const sandbox = new LocalE2BSandbox(this, opts);
    this.#sandboxes.set(sandbox.sandboxId, sandbox);
    this.created++;
    return sandbox;
  }

  async #connect(sandboxId: string, opts: SandboxConnectOpts = {}): Promise<LocalE2BSandbox> {
    await this.request('connect');
    this.#authenticate(opts.apiKey);
    const sandbox = this.#sandboxes.get(sandboxId);
    if (sandbox === undefined || !sandbox.isAlive) throw new SandboxNotFoundError(`Sandbox ${sandboxId} not found`);
    if (opts.timeoutMs !== undefined) await sandbox.setTimeout(opts.timeoutMs);
    return sandbox;
  }
}

/** One sandbox of the stand-in; the part of the SDK's `Sandbox` the adapter uses. */
export class LocalE2BSandbox implements Pick<Sandbox, 'sandboxId' | 'setTimeout' | 'kill'> {
  /** Like E2B's: `local-<random>`. */
  readonly sandboxId: string;
  /** Like `Sandbox.commands`. */
  readonly commands: LocalE2BCommands;
  /** Like `Sandbox.files`. */
  readonly files: LocalE2BFilesystem;
  /** Host directory holding the sandbox's `/tmp` and `/home/user`. */
  readonly rootDirectory: string;
  /** @internal */
  readonly cloud: LocalE2BCloud;
  /** @internal */
  readonly envs: Readonly<Record<string, string>>;
  /** Calls of `setTimeout` so far. */
  timeoutRefreshes = 0;
  #state: 'running' | 'expired' | 'killed' = 'running';
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;

  /** @internal Use `cloud.Sandbox.create()`. */
  constructor(cloud: LocalE2BCloud, opts: SandboxOpts) {
    this.cloud = cloud;
    this.sandboxId = `local-${randomBytes(8).toString('hex')}`;
    this.rootDirectory = mkdtempSync(path.join(tmpdir(), 'codecall-local-e2b-'));
    mkdirSync(path.join(this.rootDirectory, 'tmp'));
    mkdirSync(path.join(this.rootDirectory, 'home', 'user'), { recursive: true });
    this.envs = { ...opts.envs };
    this.commands = new LocalE2BCommands(this);
    this.files = new LocalE2BFilesystem(this);
    this.#arm(opts.timeoutMs ?? 300_000);
  }

  /** Whether the sandbox is running (not killed, not expired). */
  get isAlive(): boolean {
    return this.#state === 'running';
  }

  async setTimeout(timeoutMs: number, _opts?: Pick<SandboxOpts, 'requestTimeoutMs' | 'signal'>): Promise<void> {
    await this.cloud.request('setTimeout');
    this.assertAlive();
    this.timeoutRefreshes++;
    this.#arm(timeoutMs);
  }

  async kill(_opts?: Pick<SandboxOpts, 'requestTimeoutMs' | 'signal'>): Promise<boolean> {
    if (this.#state !== 'running') return false;
    await this.cloud.request('killSandbox');
    this.#end('killed');
    return true;
  }

  /** Makes the sandbox reach its end of life now, as when its timeout elapses: commands die and their streams fail with the SDK's `TimeoutError`. */
  expire(): void {
    if (this.#state === 'running') this.#end('expired');
  }

  /** Breaks the link to every running command: their streams fail like a dropped connection, the processes keep running. */
  dropConnections(): void {
    for (const handle of this.commands.handles) handle.fail(new E2BSdkError('2: [unknown] terminated: the connection to the sandbox was dropped (other side closed)'));
  }

  /** @internal Throws what the SDK throws for a sandbox that is gone. */
  assertAlive(): void {
    if (this.#state !== 'running') throw new TimeoutError(`502: The sandbox was not found${sandboxTimeoutHint}`);
  }

  #arm(timeoutMs: number): void {
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = setTimeout(() => this.expire(), timeoutMs);
    this.#expiryTimer.unref();
  }

  #end(state: 'expired' | 'killed'): void {
    this.#state = state;
    clearTimeout(this.#expiryTimer);
    for (const handle of this.commands.handles) {
      handle.fail(new TimeoutError(`[unavailable] The sandbox ${state === 'expired' ? 'reached its end of life' : 'was killed'}${sandboxTimeoutHint}`));
      handle.terminate();
    }
    rmSync(this.rootDirectory, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** The stand-in's `Filesystem.write`. */
export class LocalE2BFilesystem implements Pick<Filesystem, 'write'> {
  readonly #sandbox: LocalE2BSandbox;

  /** @internal */
  constructor(sandbox: LocalE2BSandbox) {
    this.#sandbox = sandbox;
  }

  write(path: string, data: string | ArrayBuffer | Blob | ReadableStream, opts?: FilesystemWriteOpts): Promise<WriteInfo>;
  write(files: WriteEntry[], opts?: FilesystemWriteOpts): Promise<WriteInfo[]>;
  async write(target: string | WriteEntry[], dataOrOpts?: string | ArrayBuffer | Blob | ReadableStream | FilesystemWriteOpts, _opts?: FilesystemWriteOpts): Promise<WriteInfo | WriteInfo[]> {
    if (Array.isArray(target)) {
      const written: WriteInfo[] = [];
      for (const entry of target) written.push(await this.#writeOne(entry.path, entry.data));
      return written;
    }
    return this.#writeOne(target, dataOrOpts as string | ArrayBuffer | Blob | ReadableStream);
  }

  async #writeOne(remotePath: string, data: string | ArrayBuffer | Blob | ReadableStream): Promise<WriteInfo> {
    await this.#sandbox.cloud.request('write');
    this.#sandbox.assertAlive();
    const hostPath = hostPathOf(this.#sandbox, remotePath);
    mkdirSync(path.dirname(hostPath), { recursive: true });
    let bytes: Uint8Array | string;
    if (typeof data === 'string') bytes = data;
    else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (data instanceof Blob) bytes = new Uint8Array(await data.arrayBuffer());
    else bytes = new Uint8Array(await new Response(data).arrayBuffer());
    await writeFile(hostPath, bytes);
    return { name: path.posix.basename(remotePath), path: remotePath };
  }
}

function hostPathOf(sandbox: LocalE2BSandbox, remotePath: string): string {
  const normalized = path.posix.normalize(remotePath);
  for (const [prefix, host] of [['/tmp', 'tmp'], ['/home/user', 'home/user']] as const) {
    if (normalized === prefix || normalized.startsWith(`${prefix}/`)) return path.join(sandbox.rootDirectory, host, normalized.slice(prefix.length));
  }
  throw new InvalidArgumentError(`The local stand-in only writes under /tmp and /home/user, not ${remotePath}.`);
}

/** The stand-in's `Commands`: `run`, `sendStdin`, `kill`. */
export class LocalE2BCommands implements Pick<Commands, 'sendStdin' | 'kill'> {
  /** @internal Commands that have not ended. */
  readonly handles: Set<LocalE2BCommandHandle> = new Set();
  readonly #sandbox: LocalE2BSandbox;
  readonly #byPid = new Map<number, LocalE2BCommandHandle>();
  readonly #stdinRandom: () => number;
  #nextPid = 400;

  /** @internal */
  constructor(sandbox: LocalE2BSandbox) {
    this.#sandbox = sandbox;
    this.#stdinRandom = random(sandbox.cloud.settings.faults?.stdinDelay?.seed ?? 1);
  }

  run(cmd: string, opts?: CommandStartOpts & { background?: false }): Promise<CommandResult>;
  run(cmd: string, opts: CommandStartOpts & { background: true }): Promise<LocalE2BCommandHandle>;
  run(cmd: string, opts?: CommandStartOpts & { background?: boolean }): Promise<LocalE2BCommandHandle | CommandResult>;
  async run(cmd: string, opts: CommandStartOpts & { background?: boolean } = {}): Promise<LocalE2BCommandHandle | CommandResult> {
    const sandbox = this.#sandbox;
    await sandbox.cloud.request('run');
    sandbox.assertAlive();
    const pid = this.#nextPid++;
    const handle = new LocalE2BCommandHandle(sandbox, pid, cmd, opts, () => {
      this.handles.delete(handle);
      this.#byPid.delete(pid);
    });
    this.handles.add(handle);
    this.#byPid.set(pid, handle);
    if (opts.background === true) return handle;
    return handle.wait();
  }

  async sendStdin(pid: number, data: string | Uint8Array, _opts?: CommandRequestOpts): Promise<void> {
    const sandbox = this.#sandbox;
    await sandbox.cloud.request('sendStdin');
    const delay = sandbox.cloud.settings.faults?.stdinDelay;
    if (delay !== undefined) await sleep(delay.minMs + this.#stdinRandom() * (delay.maxMs - delay.minMs));
    sandbox.assertAlive();
    const handle = this.#byPid.get(pid);
    if (handle === undefined) throw new NotFoundError(`process with pid ${pid} not found`);
    await handle.writeStdin(data);
  }

  async kill(pid: number, _opts?: CommandRequestOpts): Promise<boolean> {
    const sandbox = this.#sandbox;
    await sandbox.cloud.request('kill');
    sandbox.assertAlive();
    const handle = this.#byPid.get(pid);
    if (handle === undefined) return false;
    handle.terminate();
    return true;
  }
}

type HandleShape = Pick<CommandHandle, 'pid' | 'wait' | 'kill' | 'disconnect' | 'sendStdin' | 'closeStdin' | 'exitCode' | 'error' | 'stdout' | 'stderr'>;

/** The stand-in's `CommandHandle`: a real child process behind the SDK's handle surface. */
export class LocalE2BCommandHandle implements HandleShape {
  /** Process id as the sandbox knows it (not the host's). */
  readonly pid: number;
  readonly #sandbox: LocalE2BSandbox;
  readonly #child: ChildProcess;
  readonly #opts: CommandStartOpts;
  readonly #onEnd: () => void;
  readonly #done: Promise<CommandResult>;
  readonly #splitRandom: (() => number) | undefined;
  #delivery: Promise<void> = Promise.resolve();
  #stdout = '';
  #stderr = '';
  #result: CommandResult | undefined;
  #streamError: unknown;
  #rejectStream: ((error: unknown) => void) | undefined;
  #disconnected = false;
  #killed = false;

  /** @internal Use `commands.run`. */
  constructor(sandbox: LocalE2BSandbox, pid: number, cmd: string, opts: CommandStartOpts, onEnd: () => void) {
    this.pid = pid;
    this.#sandbox = sandbox;
    this.#opts = opts;
    this.#onEnd = onEnd;
    const split = sandbox.cloud.settings.faults?.splitOutput;
    this.#splitRandom = split === undefined ? undefined : random(split.seed + pid);
    const env: Record<string, string> = {
      PATH: [...sandbox.cloud.pathDirectories, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
      HOME: '/home/user',
      USER: 'user',
      LANG: 'C.UTF-8',
      E2B_SANDBOX: 'true',
      E2B_SANDBOX_ID: sandbox.sandboxId,
      ...sandbox.envs,
      ...opts.envs,
    };
    const cwd = opts.cwd ?? '/home/user';
    const args = [
      '--ro-bind', '/', '/',
      '--dev', '/dev',
      '--proc', '/proc',
      '--bind', path.join(sandbox.rootDirectory, 'tmp'), '/tmp',
      '--tmpfs', '/home',
      '--bind', path.join(sandbox.rootDirectory, 'home', 'user'), '/home/user',
      '--unshare-user', '--uid', '1000', '--gid', '1000',
      '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--hostname', 'e2b',
      '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
      '--chdir', cwd,
      '/bin/bash', '-c', cmd,
    ];
    // E2B's envd gives a command real pipes (Node's own stdio pipes are socket pairs, which behave
    // differently, e.g. /proc/self/fd/N cannot be reopened), so `cat` sits on each side. Everything,
    // bwrap included, gets the clean environment: the guest can read /proc/1/environ.
    // The command ends when bwrap does; the input `cat` is killed with its process group then.
    this.#child = spawn('/bin/bash', ['-c', '"$0" "$@" < <(exec cat 2>/dev/null) | cat; exit "${PIPESTATUS[0]}"', sandbox.cloud.settings.bwrapPath ?? 'bwrap', ...args], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const child = this.#child;
    if (opts.stdin !== true) child.stdin?.end();
    child.stdin?.on('error', () => undefined);
    const stdoutDecoder = new TextDecoder();
    const stderrDecoder = new TextDecoder();
    child.stdout?.on('data', (chunk: Buffer) => this.#deliver(chunk, stdoutDecoder, 'stdout'));
    child.stderr?.on('data', (chunk: Buffer) => this.#deliver(chunk, stderrDecoder, 'stderr'));
    this.#done = new Promise<CommandResult>((resolve, reject) => {
      this.#rejectStream = reject;
      let spawnError: Error | undefined;
      child.on('error', (error) => {
        spawnError = error;
      });
      child.on('close', (code, signal) => {
        this.#killGroup();
        this.#deliverText(stdoutDecoder.decode(), 'stdout');
        this.#deliverText(stderrDecoder.decode(), 'stderr');
        void this.#delivery.then(() => {
          this.#onEnd();
          const killed = this.#killed || signal !== null;
          const result: CommandResult = {
            exitCode: killed ? -1 : (code ?? -1),
            stdout: this.#stdout,
            stderr: this.#stderr,
            ...(killed ? { error: 'signal: killed' } : spawnError !== undefined ? { error: spawnError.message } : {}),
          };
          this.#result = result;
          resolve(result);
        });
      });
    });
    this.#done.catch(() => undefined);
    const deadline = opts.timeoutMs ?? 60_000;
    if (deadline > 0) {
      const timer = setTimeout(() => {
        this.fail(new TimeoutError("[deadline_exceeded] context deadline exceeded: This error is likely due to exceeding 'timeoutMs' — the total time a long running request (like command execution or directory watch) can be active. It can be modified by passing 'timeoutMs' when making the request. Use '0' to disable the timeout."));
        this.terminate();
      }, deadline);
      timer.unref();
      void this.#done.finally(() => clearTimeout(timer)).catch(() => undefined);
    }
  }

  get exitCode(): number | undefined {
    return this.#result?.exitCode;
  }

  get error(): string | undefined {
    return this.#result?.error;
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  async wait(): Promise<CommandResult> {
    const result = await this.#done;
    if (result.exitCode !== 0) throw new CommandExitError(result);
    return result;
  }

  disconnect(): Promise<void> {
    this.#disconnected = true;
    this.fail(new E2BSdkError('Process exited without a result'));
    return Promise.resolve();
  }

  kill(): Promise<boolean> {
    return this.#sandbox.commands.kill(this.pid);
  }

  sendStdin(data: string | Uint8Array, opts?: CommandRequestOpts): Promise<void> {
    return this.#sandbox.commands.sendStdin(this.pid, data, opts);
  }

  async closeStdin(_opts?: CommandRequestOpts): Promise<void> {
    await this.#sandbox.cloud.request('sendStdin');
    this.#sandbox.assertAlive();
    this.#child.stdin?.end();
  }

  /** @internal Writes to the process's stdin (resolves once the data is handed to the pipe). */
  writeStdin(data: string | Uint8Array): Promise<void> {
    if (this.#opts.stdin !== true) return Promise.reject(new E2BSdkError('stdin is not enabled for this command (start it with stdin: true)'));
    const stdin = this.#child.stdin;
    if (stdin === null || stdin.destroyed || stdin.writableEnded) return Promise.reject(new NotFoundError(`process with pid ${this.pid} not found`));
    return new Promise((resolve, reject) => {
      stdin.write(data, (error) => (error ? reject(new NotFoundError(`process with pid ${this.pid} not found`)) : resolve()));
    });
  }

  /** @internal The stream to this command fails with `error` (the process is not touched). */
  fail(error: unknown): void {
    if (this.#streamError !== undefined || this.#result !== undefined) return;
    this.#streamError = error;
    this.#disconnected = true;
    this.#rejectStream?.(error);
  }

  /** @internal SIGKILLs the command (bubblewrap takes its PID namespace down with it). */
  terminate(): void {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#killed = true;
    this.#killGroup();
  }

  #killGroup(): void {
    try {
      if (this.#child.pid !== undefined) process.kill(-this.#child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  #deliver(chunk: Buffer, decoder: TextDecoder, stream: 'stdout' | 'stderr'): void {
    const split = this.#splitRandom;
    if (split === undefined) {
      this.#deliverText(decoder.decode(chunk, { stream: true }), stream);
      return;
    }
    const maxPiece = this.#sandbox.cloud.settings.faults?.splitOutput?.maxPieceBytes ?? 64;
    for (let offset = 0; offset < chunk.length; ) {
      const size = 1 + Math.floor(split() * maxPiece);
      this.#deliverText(decoder.decode(chunk.subarray(offset, offset + size), { stream: true }), stream);
      offset += size;
    }
  }

  #deliverText(text: string, stream: 'stdout' | 'stderr'): void {
    if (text.length === 0) return;
    if (stream === 'stdout') this.#stdout += text;
    else this.#stderr += text;
    const callback = stream === 'stdout' ? this.#opts.onStdout : this.#opts.onStderr;
    if (callback === undefined) return;
    // Like the SDK: callbacks run one at a time, in order, and stop after a disconnect.
    this.#delivery = this.#delivery.then(async () => {
      if (this.#disconnected) return;
      try {
        await callback(text);
      } catch {
        // The SDK does not guard callbacks either; keep the stand-in alive.
      }
    });
  }
}

/** Whether `LocalE2BCloud` can run here, with the reason when it cannot. */
export function localE2BSupport(bwrapPath = 'bwrap'): { readonly supported: boolean; readonly reason: string } {
  if (process.platform !== 'linux') return { supported: false, reason: 'the local E2B stand-in needs Linux (bubblewrap).' };
  if (!LocalE2BCloud.isSupported(bwrapPath)) return { supported: false, reason: `the local E2B stand-in needs a working bubblewrap (${bwrapPath}).` };
  if (!existsSync('/bin/bash')) return { supported: false, reason: 'the local E2B stand-in needs /bin/bash.' };
  return { supported: true, reason: '' };
}
