// The spawn helper: a small node process that starts runner processes for the host and hands their
// stdio to it over Node's IPC channel (`process.send(message, socket)`), so the host never forks.
// `fork()` copies the forking process's page tables while its event loop waits: 6 ms at 51 MB of
// RSS on the 2-core development VM, 23 ms at 890 MB. This process stays small, and it waits instead.
//
// Protocol (host → helper): `{ t: 'spawn', id, file, args, cwd, env }`.
// Helper → host, in order, per id: `{ t: 'spawned', id, pid }`, then `{ t: 'stdio', id, fd }` with
// the socket of descriptor 0, 1 and 2, then `{ t: 'exit', id, code, signal }`; or `{ t: 'error',
// id, code, message }` when the command could not start. Node delivers handle messages in order.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

interface SpawnRequest {
  readonly t: 'spawn';
  readonly id: number;
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

const live = new Map<number, ChildProcess>();

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
  send({ t: 'spawned', id: request.id, pid });
  send({ t: 'stdio', id: request.id, fd: 0 }, child.stdin);
  send({ t: 'stdio', id: request.id, fd: 1 }, child.stdout);
  send({ t: 'stdio', id: request.id, fd: 2 }, child.stderr);
  child.on('error', () => undefined);
  child.once('exit', (code, signal) => {
    live.delete(pid);
    send({ t: 'exit', id: request.id, code, signal });
  });
}

process.on('message', (message: unknown) => {
  if (typeof message === 'object' && message !== null && (message as { t?: unknown }).t === 'spawn') start(message as SpawnRequest);
});

// The host is gone (exited, crashed or killed): nothing may outlive it.
process.on('disconnect', () => {
  for (const pid of live.keys()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  process.exit(0);
});
