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

/** Spawns the echo child of `runtime` with `interpreter` and waits until it answered once. */
export async function startRawEchoChild(runtime: 'node' | 'python', interpreter: string): Promise<RawEchoChild> {
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
  await echo.roundTrip(0);
  return echo;
}
