import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/**
 * A started command as `RunnerProcess` sees it: Node's `ChildProcess`, or a `HelperChild` whose
 * process the spawn helper started. The streams are `null` until `'spawn'` when the helper starts it.
 * Events: `'spawn'` (pid and streams are set), `'error'` (it could not start), `'exit'` (code, signal).
 */
export interface RunnerChild extends EventEmitter {
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  /**
   * Sends `signal` to the command's process (a helper's child without a pid yet is killed, with
   * its process group, as soon as its pid arrives).
   * The command leads its own process group (it is started detached); `RunnerProcess` kills the group.
   */
  kill(signal: NodeJS.Signals): void;
}

/** What `startRunnerChild` needs. */
export interface RunnerChildOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Start it from the shared spawn helper (`true`) or fork the host (`false`). */
  readonly viaHelper: boolean;
  /**
   * What the host removes after the command ended (its work directory, its cgroup directories).
   * The spawn helper removes them itself if the host goes away first (killed, crashed, or exited
   * without disposing); without the helper nothing does.
   */
  readonly leftovers?: { readonly directories: readonly string[]; readonly cgroups: readonly string[] };
}

/** Starts `file args` detached with three pipes, from the spawn helper or from the host itself. */
export function startRunnerChild(file: string, args: readonly string[], options: RunnerChildOptions): RunnerChild {
  if (!options.viaHelper) {
    return spawn(file, [...args], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true, windowsHide: true });
  }
  sharedHelper = sharedHelper?.alive === true ? sharedHelper : new SpawnHelper();
  return sharedHelper.spawn(file, args, options.cwd, options.env, options.leftovers);
}

let sharedHelper: SpawnHelper | undefined;
let helperIdleMs = 30_000;
let holds = 0;

/**
 * Holds the spawn helper for as long as a sandbox lives (it starts no process: the first spawn
 * does). The returned function gives the hold back; once no hold is left and none of the helper's
 * commands is alive, the helper ends at once instead of after its idle timeout, and the promise
 * resolves when its process has exited: disposing the last sandbox leaves no process behind.
 */
export function holdSpawnHelper(): () => Promise<void> {
  holds++;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    holds--;
    if (holds === 0) await sharedHelper?.endIfUnused();
  };
}

/**
 * How long the spawn helper stays after the last command it started ended, in milliseconds
 * (default 30,000; the pool's idle runners keep it alive longer). For tests.
 */
export function setSpawnHelperIdleTimeout(milliseconds: number): void {
  helperIdleMs = milliseconds;
}

/** The spawn helper's pid, if one is running (for tests). */
export function spawnHelperPid(): number | undefined {
  return sharedHelper?.alive === true ? sharedHelper.pid : undefined;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** A command the spawn helper started; see `RunnerChild`. */
class HelperChild extends EventEmitter implements RunnerChild {
  pid: number | undefined;
  stdin: Writable | null = null;
  stdout: Readable | null = null;
  stderr: Readable | null = null;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  #killRequested = false;
  #incomplete = false;
  readonly #streams: (Socket | undefined)[] = [undefined, undefined, undefined];

  /** The helper reported the pid: the process exists and is not reaped before its `exit` message. */
  spawned(pid: number): void {
    this.pid = pid;
    if (this.#killRequested) killGroup(pid);
  }

  /**
   * One of the command's streams arrived. Without a socket when the command had already exited in
   * the helper before its turn to send came (Node closes a child's stdin at its exit): it never
   * emits `'spawn'`, and its `'exit'` follows.
   */
  stream(fd: number, socket: Socket | undefined): void {
    if (socket === undefined) {
      this.#incomplete = true;
      return;
    }
    if (this.#incomplete || this.exitCode !== null || this.signalCode !== null) {
      socket.destroy();
      return;
    }
    this.#streams[fd] = socket;
    if (fd === 0) {
      // The host only writes to the runner's input. A guest writing into it fills at most one
      // read buffer here: the socket is never read, so reading stops at its high-water mark.
      socket.pause();
    }
    const [stdin, stdout, stderr] = this.#streams;
    if (stdin !== undefined && stdout !== undefined && stderr !== undefined) {
      this.stdin = stdin;
      this.stdout = stdout;
      this.stderr = stderr;
      this.emit('spawn');
    }
  }

  exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    if (this.stdout === null) {
      // It never started for the host: nothing will read what arrived.
      for (const socket of this.#streams) socket?.destroy();
    }
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    if (this.pid === undefined) {
      this.#killRequested = true;
      return;
    }
    try {
      process.kill(this.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

type HelperMessage =
  | { readonly t: 'spawned'; readonly id: number; readonly pid: number }
  | { readonly t: 'stdio'; readonly id: number; readonly fd: number }
  | { readonly t: 'exit'; readonly id: number; readonly code: number | null; readonly signal: NodeJS.Signals | null }
  | { readonly t: 'error'; readonly id: number; readonly code: string | null; readonly message: string };

function helperScript(): string {
  const beside = new URL('./spawn-helper-child.js', import.meta.url);
  if (existsSync(beside)) return fileURLToPath(beside);
  // Running from src/ (tests): the compiled helper lives in dist/.
  return fileURLToPath(new URL('../dist/spawn-helper-child.js', import.meta.url));
}

/**
 * The host's side of the spawn helper (one per host process, shared by every subprocess sandbox,
 * started at the first spawn). It holds the host's event loop open only while a command it
 * started is alive; if it dies, every such command is killed and reported as killed.
 *
 * Kills go from the host straight to the process group: the helper reaps a runner only when it
 * exits, and reports that at once, so a pid the host kills is the runner's until the host reads
 * that report (a pid is reused only after the kernel's counter wraps around).
 */
class SpawnHelper {
  alive = true;
  /** Settles when the helper's process has exited. */
  readonly exited: Promise<void>;
  readonly #process: ChildProcess;
  readonly #children = new Map<number, HelperChild>();
  #nextId = 0;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor() {
    this.#process = spawn(process.execPath, [helperScript()], {
      // The helper needs no environment; each request carries the runner's own.
      env: {},
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      // Its own session: a signal to the host's process group (Ctrl-C, `timeout`, `kill -- -PGID`)
      // must not kill it along with the host, or nothing would remove what the runners leave
      // behind. It ends when its channel to the host closes, however the host ends.
      detached: true,
      windowsHide: true,
    });
    this.#process.on('message', (message: HelperMessage, handle: unknown) => this.#receive(message, handle));
    this.#process.on('error', () => this.#end('could not start'));
    this.exited = new Promise((resolve) => {
      this.#process.once('exit', () => resolve());
      // A helper that could not start never exits.
      this.#process.once('error', () => {
        if (this.#process.pid === undefined) resolve();
      });
    });
    this.#process.on('exit', (code, signal) => this.#end(signal === null ? `exited with code ${String(code)}` : `was killed by ${signal}`));
    this.#process.unref();
    // `spawn` follows at once and holds the loop (a helper is only made to start a command).
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  spawn(file: string, args: readonly string[], cwd: string, env: Readonly<Record<string, string>>, leftovers?: RunnerChildOptions['leftovers']): HelperChild {
    const id = ++this.#nextId;
    const child = new HelperChild();
    this.#children.set(id, child);
    this.#holdLoop();
    this.#process.send({ t: 'spawn', id, file, args, cwd, env, ...(leftovers === undefined ? {} : { leftovers }) }, undefined, {}, (error) => {
      if (error !== null && error !== undefined) this.#fail(id, child, `The spawn helper could not be reached: ${error.message}`, null);
    });
    return child;
  }

  #receive(message: HelperMessage, handle: unknown): void {
    const child = this.#children.get(message.id);
    if (child === undefined) {
      (handle as Socket | undefined)?.destroy();
      return;
    }
    switch (message.t) {
      case 'spawned':
        child.spawned(message.pid);
        break;
      case 'stdio':
        child.stream(message.fd, handle as Socket | undefined);
        break;
      case 'exit':
        this.#children.delete(message.id);
        this.#holdLoop();
        child.exited(message.code, message.signal);
        break;
      case 'error':
        this.#fail(message.id, child, message.message, message.code);
        break;
    }
  }

  #fail(id: number, child: HelperChild, message: string, code: string | null): void {
    this.#children.delete(id);
    this.#holdLoop();
    child.emit('error', Object.assign(new Error(message), code === null ? {} : { code }));
  }

  /** Ends the helper now if it started nothing that is still alive; settles once it has exited. */
  async endIfUnused(): Promise<void> {
    if (this.#children.size > 0) return;
    this.#retire();
    // The process handle is unref'd: without this, a host with nothing else to do would exit
    // before the helper's exit is reported, leaving the caller's await unsettled.
    this.#process.ref();
    await this.exited;
  }

  /**
   * Keeps the host's event loop alive while a request or a started command is pending, and ends
   * the helper once it has been idle for `helperIdleMs`, or at once when no sandbox holds it (the
   * next spawn starts a new one).
   */
  #holdLoop(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const channel = this.#process.channel;
    if (!this.alive || channel === undefined || channel === null) return;
    if (this.#children.size > 0) {
      channel.ref();
      // The process handle too: if the helper dies after its commands' pipes have closed (its
      // channel then closes as well), only this handle keeps the loop alive until its exit is
      // seen, which settles those commands (`#end`).
      this.#process.ref();
      return;
    }
    channel.unref();
    this.#process.unref();
    if (holds === 0) {
      this.#retire();
      return;
    }
    this.#idleTimer = setTimeout(() => {
      if (this.#children.size > 0) return;
      this.#retire();
    }, helperIdleMs);
    this.#idleTimer.unref();
  }

  #retire(): void {
    clearTimeout(this.#idleTimer);
    if (!this.alive) return;
    this.alive = false;
    // The helper exits when its channel closes.
    if (this.#process.connected) this.#process.disconnect();
  }

  #end(how: string): void {
    clearTimeout(this.#idleTimer);
    this.alive = false;
    for (const [id, child] of this.#children) {
      if (child.pid === undefined) {
        this.#fail(id, child, `The spawn helper ${how} before the runner started.`, null);
        continue;
      }
      // The helper's children outlive it (they lead their own groups): nothing may run unwatched.
      killGroup(child.pid);
      child.exited(null, 'SIGKILL');
    }
    this.#children.clear();
  }
}
