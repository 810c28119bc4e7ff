// Entry point of a supervised child process: hosts an IsolateEngine and talks to the parent in
// JSON lines: requests on stdin, messages on fd 3 (see supervised-protocol.ts). Started with
// --no-node-snapshot.
import { readSync } from 'node:fs';
import { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { Worker } from 'node:worker_threads';
import type { SandboxToolResultV1 } from '@codecall/core';
import { IsolateEngine, loadIsolatedVm } from './isolate-engine.js';
import type { ChildToHostMessage, HostToChildMessage } from './supervised-protocol.js';

const sandboxId = process.env.CODECALL_SANDBOX_ID ?? 'isolated-vm-supervised';
const isolates = Number(process.env.CODECALL_ISOLATES ?? '1');
// One prepared isolate per run this child may host at once, so each starts warm.
const engine = new IsolateEngine({ poolSize: Number.isSafeInteger(isolates) && isolates >= 1 && isolates <= 64 ? isolates : 1, sandboxId });
const pendingCalls = new Map<string, (result: SandboxToolResultV1) => void>();
const aborts = new Map<number, AbortController>();
let nextCallId = 0;

const channel = new Socket({ fd: 3, readable: false, writable: true });
// The host went away (it closed its end): nothing left to serve.
channel.on('error', () => process.exit(0));

function send(message: ChildToHostMessage): void {
  if (!channel.destroyed) channel.write(`${JSON.stringify(message)}\n`);
}

function onMessage(message: HostToChildMessage): void {
  if (message.type === 'tool-result') {
    const key = `${message.runId}:${message.callId}`;
    const resolve = pendingCalls.get(key);
    pendingCalls.delete(key);
    resolve?.(message.result);
    return;
  }
  if (message.type === 'abort') {
    aborts.get(message.runId)?.abort();
    return;
  }
  if (message.type !== 'run') return;
  const { runId } = message;
  const controller = new AbortController();
  aborts.set(runId, controller);
  engine
    .execute({
      code: message.code,
      tools: message.tools,
      limits: message.limits,
      abortSignal: controller.signal,
      callTool: (call) =>
        new Promise<SandboxToolResultV1>((resolve) => {
          const callId = ++nextCallId;
          pendingCalls.set(`${runId}:${callId}`, resolve);
          send({ type: 'tool-call', runId, callId, call: { name: call.name, inputJson: call.inputJson } });
          schedulePoll();
        }),
      // Written to the channel as the guest writes, in order with its tool calls; bounded by the
      // run's maxOutputBytes, which the engine applies before reporting a chunk.
      onEvent: message.streamOutput === true ? (event) => send({ type: 'output', runId, fd: event.type === 'stdout' ? 1 : 2, text: event.text }) : undefined,
      // Alone in this process, the run's code runs on this thread between its awaits: two thread
      // hops fewer per tool call and per run. With other runs in flight it stays on isolated-vm's
      // threads, so one run's long stretch of computation never holds up another's.
      runOnThisThread: () => aborts.size === 1,
    })
    .then(
      (result) => send({ type: 'result', runId, result }),
      (error: unknown) =>
        send({
          type: 'result',
          runId,
          result: {
            type: 'error',
            error: { code: 'SANDBOX_CRASHED', name: 'SandboxError', message: error instanceof Error ? error.message : String(error) },
            stdout: '',
            stderr: '',
            outputTruncated: false,
          },
        }),
    )
    .finally(() => {
      aborts.delete(runId);
      for (const key of [...pendingCalls.keys()]) if (key.startsWith(`${runId}:`)) pendingCalls.delete(key);
    });
}

function onLine(line: string): void {
  let message: HostToChildMessage;
  try {
    message = JSON.parse(line) as HostToChildMessage;
  } catch {
    return;
  }
  onMessage(message);
}

// Lines end at "\n" only (readline would also split at U+2028/U+2029, which JSON leaves raw). One
// decoder serves both readers of stdin, the stream's and the poll's (below), so a character split
// between their reads still decodes.
const decoder = new StringDecoder('utf8');
let pendingText: string[] = [];

function receive(bytes: Buffer): void {
  const chunk = decoder.write(bytes);
  let start = 0;
  for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
    pendingText.push(chunk.slice(start, newline));
    const line = pendingText.join('');
    pendingText = [];
    start = newline + 1;
    onLine(line);
  }
  if (start < chunk.length) pendingText.push(chunk.slice(start));
}

process.stdin.on('data', receive);

// A tool's answer often arrives within tens of microseconds, and waking this process from its
// event loop's sleep costs about as much on a VM. So while this child hosts a single run (whose
// guest code runs on this thread), it reads stdin without blocking for up to pollMs after a tool
// call went out, before it sleeps. Adaptive as a spin lock is: a poll that runs out (a slow tool,
// a busy host) or is preempted (another process wanted this CPU) makes the next polls skip, twice
// as many each time up to maxSkippedPolls. The poll runs in a check phase (setImmediate), after
// the event loop has taken in what was ready, e.g. the other calls of a Promise.all.
const pollMs = 0.05;
const preemptedMs = 0.02;
const maxSkippedPolls = 64;
// net.Socket puts its descriptor in non-blocking mode; anything else could block a read.
const canPoll = process.stdin instanceof Socket;
const pollBuffer = Buffer.allocUnsafe(64 * 1024);
let pollScheduled = false;
let pollsToSkip = 0;
let pollBackoff = 0;

function schedulePoll(): void {
  if (!canPoll || pollScheduled || aborts.size !== 1) return;
  if (pollsToSkip > 0) {
    pollsToSkip--;
    return;
  }
  pollScheduled = true;
  setImmediate(() => {
    pollScheduled = false;
    if (aborts.size !== 1 || pendingCalls.size === 0) return;
    if (pollUntilAnswered()) {
      pollBackoff = 0;
      return;
    }
    pollBackoff = Math.min(maxSkippedPolls, pollBackoff * 2 || 1);
    pollsToSkip = pollBackoff;
  });
}

/** Reads stdin until a pending call was answered (true) or pollMs passed (false). */
function pollUntilAnswered(): boolean {
  const waiting = pendingCalls.size;
  const deadline = performance.now() + pollMs;
  // Every empty read throws (EAGAIN): without stack traces that costs about a microsecond.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    let previous = performance.now();
    for (;;) {
      let bytes = -1;
      try {
        bytes = readSync(0, pollBuffer, 0, pollBuffer.length, null);
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') return false;
      }
      // End of input: the stream's own reader sees it too, and handles it.
      if (bytes === 0) return false;
      if (bytes > 0) {
        receive(pollBuffer.subarray(0, bytes));
        if (pendingCalls.size < waiting) return true;
      }
      const time = performance.now();
      if (time >= deadline || time - previous > preemptedMs) return false;
      previous = time;
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

// The host closed our stdin (it went away, or retires us): nothing left to serve.
process.stdin.on('end', () => {
  void engine.dispose().finally(() => process.exit(0));
});
// A lone run's guest code runs on this thread (evalSync/applySync), so while it spins the 'end'
// above cannot fire: a host that dies mid-run would leave us spinning until the run's timeout.
// A tiny worker thread keeps watching instead: once we are reparented (the host is gone) it
// kills this process outright. Unref'd, so it never keeps us alive on its own.
const parentWatcher = new Worker(
  "const { workerData } = require('node:worker_threads'); setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 200);",
  { eval: true, workerData: process.ppid, resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } },
);
parentWatcher.unref();

// Ready once the isolates are prepared and one trivial run has gone through the engine, so the
// first run of the host does not pay for preparing isolates or for this process's cold code paths.
async function start(): Promise<void> {
  loadIsolatedVm(sandboxId);
  await engine.prewarm(128);
  const limits = { timeoutMs: 5_000, maxToolCalls: 0, maxConcurrentToolCalls: 1, toolTimeoutMs: 1_000, maxOutputBytes: 1_024, maxValueBytes: 1_024, memoryLimitBytes: 128 * 1024 * 1024 };
  await engine.execute({ code: 'return 1;', tools: [], limits, abortSignal: new AbortController().signal, callTool: () => Promise.resolve({ type: 'error', code: 'UNKNOWN_TOOL', message: 'none' }) });
  await engine.prewarm(128);
}

start().then(
  () => send({ type: 'ready' }),
  (error: unknown) => send({ type: 'start-failed', message: error instanceof Error ? error.message : String(error) }),
);
