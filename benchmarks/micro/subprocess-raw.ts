// Raw JSON-lines stdio baselines for the subprocess micro-benchmark: a trivial echo child per
// runtime, with nothing of codecall in between (no runner, no dispatcher, no validation, no pool).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

/** The echo child: reads `{"id":…,"x":…}` lines, answers `{"id":…,"r":<x, or its length for strings>}`. */
const echoSources = {
  node: `let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\\n')) >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    const message = JSON.parse(line);
    const r = typeof message.x === 'object' && message.x !== null ? message.x.items.length : message.x;
    process.stdout.write(JSON.stringify({ id: message.id, r }) + '\\n');
  }
});`,
  python: `import sys, json
out = sys.stdout
for line in sys.stdin.buffer:
    message = json.loads(line)
    x = message["x"]
    r = len(x["items"]) if isinstance(x, dict) else x
    out.write(json.dumps({"id": message["id"], "r": r}) + "\\n")
    out.flush()`,
};

/** A running echo child with a JSON-lines round trip. */
export interface RawEchoChild {
  /** Sends `x` and resolves with the child's answer. */
  readonly roundTrip: (x: unknown) => Promise<unknown>;
  /** Sends a pre-encoded message text (`{"id":ID,"x":…}` with `ID` replaced). */
  readonly roundTripText: (encodedWithIdPlaceholder: string) => Promise<unknown>;
  readonly kill: () => void;
}

/**
 * Spawns the echo child of `runtime` with `interpreter` and waits until it answered `warmUp` round
 * trips, one after another (default 1). A pooled child that stands for a rehearsed runner gets as
 * many as the runner's rehearsal makes calls.
 */
export async function startRawEchoChild(runtime: 'node' | 'python', interpreter: string, warmUp = 1): Promise<RawEchoChild> {
  const args = runtime === 'node' ? ['-e', echoSources.node] : ['-I', '-B', '-c', echoSources.python];
  const child: ChildProcess = spawn(interpreter, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: '/usr/bin:/bin' } });
  const pending = new Map<number, (value: unknown) => void>();
  let buffered = '';
  let nextId = 0;
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const message = JSON.parse(buffered.slice(0, newline)) as { id: number; r: unknown };
      buffered = buffered.slice(newline + 1);
      pending.get(message.id)?.(message.r);
      pending.delete(message.id);
      newline = buffered.indexOf('\n');
    }
  });
  const send = (text: string, id: number): Promise<unknown> =>
    new Promise((resolve) => {
      pending.set(id, resolve);
      child.stdin?.write(text);
    });
  const echo: RawEchoChild = {
    roundTrip: (x) => {
      const id = ++nextId;
      return send(`${JSON.stringify({ id, x })}\n`, id);
    },
    roundTripText: (encoded) => {
      const id = ++nextId;
      return send(`${encoded.replace('ID', String(id))}\n`, id);
    },
    kill: () => child.kill('SIGKILL'),
  };
  for (let i = 0; i < Math.max(1, warmUp); i++) await echo.roundTrip(0);
  return echo;
}

/**
 * The caller child: on `{"n":N}` it makes N calls one after another, each awaiting its answer, then
 * writes `{"done":N}`. The direction of codecall's runners (the child's code calls, the host
 * answers), with the least machinery a child needs for it: a promise per call (node), an asyncio
 * future per call read through the loop's `add_reader` (python).
 */
const callerSources = {
  node: `let buffered = '';
const pending = new Map();
const call = (id) => new Promise((resolve) => {
  pending.set(id, resolve);
  process.stdout.write(JSON.stringify({ id, x: id }) + '\\n');
});
async function run(n) {
  for (let i = 1; i <= n; i++) await call(i);
  process.stdout.write(JSON.stringify({ done: n }) + '\\n');
}
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\\n')) >= 0) {
    const message = JSON.parse(buffered.slice(0, newline));
    buffered = buffered.slice(newline + 1);
    if (message.n !== undefined) void run(message.n);
    else { const resolve = pending.get(message.id); pending.delete(message.id); resolve(message.r); }
  }
});`,
  python: `import asyncio, json, os, sys
loop = asyncio.new_event_loop()
out = sys.stdout
pending = {}
parts = []
def on_readable():
    chunk = os.read(0, 65536)
    if not chunk:
        loop.stop()
        return
    parts.append(chunk)
    if b"\\n" not in chunk:
        return
    *lines, rest = b"".join(parts).split(b"\\n")
    parts.clear()
    if rest:
        parts.append(rest)
    for line in lines:
        message = json.loads(line)
        if "n" in message:
            loop.create_task(run(message["n"]))
        else:
            pending.pop(message["id"]).set_result(message["r"])
async def call(i):
    future = loop.create_future()
    pending[i] = future
    out.write(json.dumps({"id": i, "x": i}) + "\\n")
    out.flush()
    return await future
async def run(n):
    for i in range(1, n + 1):
        await call(i)
    out.write(json.dumps({"done": n}) + "\\n")
    out.flush()
loop.add_reader(0, on_readable)
loop.run_forever()`,
};

/** A running caller child (see `startRawCallerChild`). */
export interface RawCallerChild {
  /** Has the child make `calls` sequential calls, each answered here; resolves when it reports done. */
  readonly run: (calls: number) => Promise<void>;
  readonly kill: () => void;
}

/**
 * Spawns the caller child of `runtime` with `interpreter` and waits until it made `warmUp` calls
 * (default 1) in one run.
 */
export async function startRawCallerChild(runtime: 'node' | 'python', interpreter: string, warmUp = 1): Promise<RawCallerChild> {
  const args = runtime === 'node' ? ['-e', callerSources.node] : ['-I', '-B', '-c', callerSources.python];
  const child: ChildProcess = spawn(interpreter, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: '/usr/bin:/bin' } });
  let buffered = '';
  let finished: (() => void) | undefined;
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const message = JSON.parse(buffered.slice(0, newline)) as { id?: number; x?: unknown; done?: number };
      buffered = buffered.slice(newline + 1);
      if (message.done !== undefined) finished?.();
      else child.stdin?.write(`${JSON.stringify({ id: message.id, r: message.x })}\n`);
      newline = buffered.indexOf('\n');
    }
  });
  const caller: RawCallerChild = {
    run: (calls) =>
      new Promise((resolve) => {
        finished = resolve;
        child.stdin?.write(`${JSON.stringify({ n: calls })}\n`);
      }),
    kill: () => child.kill('SIGKILL'),
  };
  await caller.run(Math.max(1, warmUp));
  return caller;
}
