// The spawn helper: a small node process that starts runner processes for the host and hands their
// stdio to it over Node's IPC channel (`process.send(message, socket)`), so the host never forks.
// `fork()` copies the forking process's page tables while its event loop waits: 6 ms at 51 MB of
// RSS on the 2-core development VM, 23 ms at 890 MB. This process stays small, and it waits instead.
//
// Protocol (host → helper): `{ t: 'spawn', id, file, args, cwd, env, leftovers? }`.
// Helper → host, in order, per id: `{ t: 'spawned', id, pid }`, then `{ t: 'stdio', id, fd }` with
// the socket of descriptor 0, 1 and 2, then `{ t: 'exit', id, code, signal }`; or `{ t: 'error',
// id, code, message }` when the command could not start. Node delivers handle messages in order.
//
// `leftovers` names what the host removes after the command ended (its work directory, its
// cgroups). When the host goes away first (killed, crashed, or exited without disposing its
// sandboxes), the helper kills what it started and removes those itself before it exits.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { removeCgroups } from './resource-cgroup.js';

interface Leftovers {
  readonly directories: readonly string[];
  readonly cgroups: readonly string[];
}

interface SpawnRequest {
  readonly t: 'spawn';
  readonly id: number;
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly leftovers?: Leftovers;
}

const live = new Map<number, ChildProcess>();
// By request id, kept while the command lives and for a while after it ended: the host cleans up
// after an exit within about a second (it retries a busy cgroup for up to 1 s).
const leftovers = new Map<number, Leftovers>();
const keepLeftoversMs = 10_000;
// How long a host's departure may wait for a cgroup's members to be reaped before its removal.
const cgroupRemovalMs = 5_000;

function send(message: object, handle?: Readable | ChildProcess['stdin']): void {
  // A host that went away cannot be told; the disconnect handler ends everything.
  // A child's stdio stream is a `net.Socket` over its end of a socket pair.
  if (process.connected) process.send?.(message, (handle ?? undefined) as Socket | undefined, {}, () => undefined);
}

function stopReading(stream: Readable | null): void {
  // Node starts reading a child's output as soon as it wraps the pipe. Nothing has been read yet
  // (no I/O ran since `spawn` returned); stop before anything is, so every byte reaches the host.
  const handle = (stream as { _handle?: { readStop?: () => number } } | null)?._handle;
  handle?.readStop?.();
}

function start(request: SpawnRequest): void {
  let child: ChildProcess;
  try {
    child = spawn(request.file, [...request.args], {
      cwd: request.cwd,
      env: request.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      windowsHide: true,
    });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    send({ t: 'error', id: request.id, code: failure.code ?? null, message: failure.message });
    return;
  }
  stopReading(child.stdout);
  stopReading(child.stderr);
  const pid = child.pid;
  if (pid === undefined) {
    child.once('error', (error: NodeJS.ErrnoException) => send({ t: 'error', id: request.id, code: error.code ?? null, message: error.message }));
    return;
  }
  live.set(pid, child);
  if (request.leftovers !== undefined) leftovers.set(request.id, request.leftovers);
  send({ t: 'spawned', id: request.id, pid });
  send({ t: 'stdio', id: request.id, fd: 0 }, child.stdin);
  send({ t: 'stdio', id: request.id, fd: 1 }, child.stdout);
  send({ t: 'stdio', id: request.id, fd: 2 }, child.stderr);
  child.on('error', () => undefined);
  child.once('exit', (code, signal) => {
    live.delete(pid);
    if (leftovers.has(request.id)) setTimeout(() => leftovers.delete(request.id), keepLeftoversMs).unref();
    send({ t: 'exit', id: request.id, code, signal });
  });
}

process.on('message', (message: unknown) => {
  if (typeof message === 'object' && message !== null && (message as { t?: unknown }).t === 'spawn') start(message as SpawnRequest);
});

/** Removes what the host would have removed after its commands: cgroups (once empty), then directories. */
async function removeLeftovers(): Promise<void> {
  const all = [...leftovers.values()];
  const cgroups = all.flatMap((entry) => entry.cgroups);
  // Members still being reaped keep a cgroup for a moment: retry until the deadline.
  const deadline = Date.now() + cgroupRemovalMs;
  while (!removeCgroups(cgroups) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  for (const { directories } of all) {
    for (const directory of directories) {
      try {
        rmSync(directory, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // Nothing more this process can do.
      }
    }
  }
}

// The host is gone (exited, crashed or killed): nothing may outlive it, and nothing of it may stay.
process.on('disconnect', () => {
  for (const pid of live.keys()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  void removeLeftovers().finally(() => process.exit(0));
});
