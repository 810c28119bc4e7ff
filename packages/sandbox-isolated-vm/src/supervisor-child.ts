// Entry point of a supervised child process: hosts an IsolateEngine and talks to the parent over
// the IPC channel that `child_process.fork` opens. Started with --no-node-snapshot.
import type { SandboxToolResultV1 } from '@codecall/core';
import { IsolateEngine, loadIsolatedVm } from './isolate-engine.js';
import type { ChildToHostMessage, HostToChildMessage } from './supervised-protocol.js';

const sandboxId = process.env.CODECALL_SANDBOX_ID ?? 'isolated-vm-supervised';
const engine = new IsolateEngine({ poolSize: 1, sandboxId });
const pendingCalls = new Map<string, (result: SandboxToolResultV1) => void>();
const aborts = new Map<number, AbortController>();
let nextCallId = 0;

function send(message: ChildToHostMessage): void {
  if (process.connected) process.send?.(message);
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

process.on('message', (message: HostToChildMessage) => onMessage(message));
// The parent went away: nothing left to serve.
process.on('disconnect', () => {
  void engine.dispose().finally(() => process.exit(0));
});

try {
  loadIsolatedVm(sandboxId);
  engine.prewarm(128);
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'start-failed', message: error instanceof Error ? error.message : String(error) });
}
