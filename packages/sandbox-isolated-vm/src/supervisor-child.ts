// Entry point of a supervised child process: hosts an IsolateEngine and talks to the parent in
// JSON lines: requests on stdin, messages on fd 3 (see supervised-protocol.ts). Started with
// --no-node-snapshot.
import { Socket } from 'node:net';
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

// Lines end at "\n" only (readline would also split at U+2028/U+2029, which JSON leaves raw).
let pendingText: string[] = [];
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  let start = 0;
  for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
    pendingText.push(chunk.slice(start, newline));
    const line = pendingText.join('');
    pendingText = [];
    start = newline + 1;
    onLine(line);
  }
  if (start < chunk.length) pendingText.push(chunk.slice(start));
});
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
