// A run alone in its supervised process runs its code on that process's main thread between its
// awaits (two thread hops fewer per tool call); with other runs in flight it stays on isolated-vm's
// threads. Either way the results, the limits and abort behave as on isolated-vm's threads.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { defineTool, resolveLimits, runCode } from '@codecall/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIsolatedVmSandbox } from '../src/index.js';
import type { IsolatedVmSandbox, IsolatedVmSandboxSettings } from '../src/index.js';
import { childProcessIds } from './child-processes.js';

const add = defineTool({ name: 'add', description: 'Adds.', input: z.object({ a: z.number(), b: z.number() }), execute: async ({ a, b }) => a + b });

// A supervised sandbox with one child, ready before `body` runs and disposed afterwards.
async function withSandbox(settings: IsolatedVmSandboxSettings, body: (sandbox: IsolatedVmSandbox) => Promise<void>): Promise<void> {
  const sandbox = createIsolatedVmSandbox({ poolSize: 1, ...settings });
  try {
    await sandbox.ready();
    await body(sandbox);
  } finally {
    await sandbox.dispose();
  }
}

describe('supervised run alone in its process', { timeout: 120_000 }, () => {
  it('gives the same values, output and errors (with lines) as on isolated-vm threads', async () => {
    await withSandbox({}, async (sandbox) => {
      const value = await runCode({ sandbox, tools: [add], code: 'console.log("a");\nconst x = await add({ a: 1, b: 2 });\nconsole.log("b", x);\nreturn [x, await Promise.all([add({ a: x, b: 1 }), add({ a: x, b: 2 })])];' });
      expect(value.type === 'success' && { value: value.value, stdout: value.stdout }).toEqual({ value: [3, [4, 5]], stdout: 'a\nb 3\n' });
      const thrown = await runCode({ sandbox, tools: [add], code: 'await add({ a: 1, b: 2 });\nthrow new TypeError("boom");' });
      expect(thrown.type === 'error' && { code: thrown.error.code, message: thrown.error.message, line: thrown.error.line }).toEqual({ code: 'RUNTIME_ERROR', message: 'boom', line: 2 });
      const syntax = await runCode({ sandbox, tools: [add], code: 'return 1 +;' });
      expect(syntax.type === 'error' && syntax.error.code).toBe('SYNTAX_ERROR');
    });
  });

  it('reports the value returned before microtasks spun out the time limit, as on isolated-vm threads', async () => {
    await withSandbox({}, async (sandbox) => {
      for (const code of ['const spin = () => Promise.resolve().then(spin); spin(); return 7;', 'const x = await add({ a: 3, b: 4 }); const spin = () => Promise.resolve().then(spin); spin(); return x;']) {
        const result = await runCode({ sandbox, tools: [add], code, limits: { timeoutMs: 500 } });
        expect(result.type === 'success' && result.value).toBe(7);
      }
    });
  });

  it('ends code that computes past its time limit after a tool call with TIMEOUT, and the process keeps serving', async () => {
    const before = new Set(childProcessIds());
    await withSandbox({}, async (sandbox) => {
      const children = childProcessIds().filter((id) => !before.has(id));
      expect(children).toHaveLength(1);
      const result = await runCode({ sandbox, tools: [add], code: 'await add({ a: 1, b: 2 }); while (true) {}', limits: { timeoutMs: 300 } });
      expect(result.type === 'error' && result.error.code).toBe('TIMEOUT');
      const next = await runCode({ sandbox, tools: [add], code: 'return await add({ a: 2, b: 2 });' });
      expect(next.type === 'success' && next.value).toBe(4);
      // The child ended the run itself: the host did not have to kill it.
      expect(childProcessIds().filter((id) => !before.has(id))).toEqual(children);
    });
  });

  it('ends code aborted while it computes after a tool call with ABORTED; the sandbox keeps serving', async () => {
    await withSandbox({}, async (sandbox) => {
      const controller = new AbortController();
      const called = defineTool({ name: 'called', description: 'Aborts the run once called.', input: z.object({}), execute: async () => { setTimeout(() => controller.abort(), 100); return null; } });
      const result = await runCode({ sandbox, tools: [called], code: 'await called({}); while (true) {}', abortSignal: controller.signal, limits: { timeoutMs: 60_000 } });
      expect(result.type === 'error' && result.error.code).toBe('ABORTED');
      const next = await runCode({ sandbox, tools: [add], code: 'return await add({ a: 2, b: 3 });' });
      expect(next.type === 'success' && next.value).toBe(5);
    });
  });

  it('runs two runs of one process side by side: one computing for a long stretch, one making many tool calls', async () => {
    const before = new Set(childProcessIds());
    await withSandbox({ isolatesPerProcess: 4 }, async (sandbox) => {
      const computing = runCode({ sandbox, tools: [add], code: 'let x = await add({ a: 1, b: 1 }); for (let i = 0; i < 3e7; i++) x = (x * 31 + i) % 1000003; return typeof x;', limits: { timeoutMs: 60_000 } });
      const calling = runCode({ sandbox, tools: [add], code: 'let x = 0; for (let i = 0; i < 200; i++) x = await add({ a: x, b: 1 }); return x;', limits: { timeoutMs: 60_000, maxToolCalls: 500 } });
      const [first, second] = await Promise.all([computing, calling]);
      expect(first.type === 'success' && first.value).toBe('number');
      expect(second.type === 'success' && second.value).toBe(200);
      // Both in the one started process.
      expect(childProcessIds().filter((id) => !before.has(id))).toHaveLength(1);
    });
  });

  it("keeps a run's output in order with its tool calls as its code moves between threads", async () => {
    // Alone in its process, a run's code runs on the main thread and its posts reach the host at
    // once; with a second run in flight it runs on isolated-vm's threads, and its posts are queued.
    // Output and tool calls must reach the host in the order the guest made them either way,
    // through both switches.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hold = defineTool({ name: 'hold', description: 'Waits.', input: z.object({}), execute: async () => released.then(() => 0) });
    await withSandbox({ isolatesPerProcess: 4 }, async (sandbox) => {
      const events: string[] = [];
      // Output both before a call and after it, before the guest awaits the answer.
      const code = 'for (let i = 0; i < 120; i++) { console.log("line " + i); const sum = add({ a: i, b: 0 }); console.log("sent " + i); await sum; }\nreturn "done";';
      const first = runCode({
        sandbox,
        tools: [add],
        code,
        limits: { timeoutMs: 60_000, maxToolCalls: 500 },
        onEvent: (event) => {
          if (event.type === 'stdout') events.push(event.text.trim());
          else if (event.type === 'tool-call-start') events.push('call');
          // A second run joins while the first makes its calls, and leaves later.
          if (events.length === 90) void runCode({ sandbox, tools: [hold], code: 'return await hold({});', limits: { timeoutMs: 60_000 } });
          if (events.length === 240) release();
        },
      });
      const result = await first;
      release();
      expect(result.type === 'success' && result.value).toBe('done');
      expect(events).toEqual(Array.from({ length: 120 }, (_, i) => [`line ${i}`, 'call', `sent ${i}`]).flat());
    });
  });

  it('never lets output from the main thread overtake output queued while the code ran on another thread', async () => {
    // Run A starts beside run B, so its code runs on isolated-vm's threads and its posts queue up
    // for this process's event loop. B ends and A's tool answer arrives while A still computes
    // and prints: the answer's entry then runs on the main thread, which waits for the isolate,
    // so A's queued posts are still unread when the entry runs. What the entry prints must come
    // after them (it does when A, having run on another thread, posts through the queue for good).
    let finishB: () => void = () => undefined;
    const bHeld = new Promise<void>((resolve) => {
      finishB = resolve;
    });
    let started: () => void = () => undefined;
    const bStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const hold = defineTool({
      name: 'hold',
      description: 'Waits until run A has called slow.',
      input: z.object({}),
      execute: async () => {
        started();
        await bHeld;
        return 0;
      },
    });
    await withSandbox({ isolatesPerProcess: 4 }, async (sandbox) => {
      let runB: Promise<unknown> = Promise.resolve();
      const slow = defineTool({
        name: 'slow',
        description: 'Answers once run B has ended.',
        input: z.object({}),
        execute: async () => {
          finishB();
          await runB;
          await new Promise((resolve) => setTimeout(resolve, 20));
          return 1;
        },
      });
      runB = runCode({ sandbox, tools: [hold], code: 'return await hold({});', limits: { timeoutMs: 60_000 } });
      await bStarted;
      const events: string[] = [];
      const code = [
        'const answer = slow({});',
        'const start = Date.now(); let last = start; let ticks = 0;',
        'while (Date.now() - start < 600) { if (Date.now() - last >= 20) { last = Date.now(); console.log("tick " + ticks++); } }',
        'console.log("computed");',
        'await answer;',
        'console.log("after");',
        'return ticks;',
      ].join('\n');
      const result = await runCode({
        sandbox,
        tools: [slow],
        code,
        limits: { timeoutMs: 60_000 },
        onEvent: (event) => {
          if (event.type === 'stdout') events.push(event.text.trim());
        },
      });
      expect(result.type).toBe('success');
      const ticks = result.type === 'success' ? (result.value as number) : 0;
      expect(ticks).toBeGreaterThan(5);
      const expected = [...Array.from({ length: ticks }, (_, i) => `tick ${i}`), 'computed', 'after'];
      expect(events).toEqual(expected);
      expect(result.type === 'success' && result.stdout.trim().split('\n')).toEqual(expected);
    });
  });

  it('decodes answers split inside a multi-byte character between its two readers of stdin', async () => {
    // The child reads stdin through its stream and, between tool calls, by polling it. This host
    // speaks the channel itself and writes each answer in two parts, split inside a character:
    // the first part at once (the child's poll often takes it), the rest a millisecond later (the
    // stream takes it). Which reader gets which part depends on timing, so there are many calls.
    const calls = 300;
    const text = 'a€😀ß'.repeat(50);
    const child = spawn(process.execPath, ['--no-node-snapshot', fileURLToPath(new URL('../dist/supervisor-child.js', import.meta.url))], {
      env: { CODECALL_SANDBOX_ID: 'split-answers', CODECALL_ISOLATES: '1' },
      stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
    });
    try {
      const input = child.stdin as Writable;
      const lines = createInterface({ input: child.stdio[3] as Readable });
      const limits = resolveLimits({ timeoutMs: 60_000, maxToolCalls: calls });
      const result = await new Promise<unknown>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`the child exited (${String(code)})`)));
        lines.on('line', (line) => {
          const message = JSON.parse(line) as { type: string; callId?: number; result?: unknown };
          if (message.type === 'ready') {
            const code = `let intact = 0;\nfor (let i = 0; i < ${calls}; i++) if ((await text({})) === ${JSON.stringify(text)}) intact++;\nreturn intact;`;
            input.write(`${JSON.stringify({ type: 'run', runId: 1, code, tools: [{ name: 'text', identifier: 'text' }], limits })}\n`);
          } else if (message.type === 'tool-call') {
            const answer = Buffer.from(`${JSON.stringify({ type: 'tool-result', runId: 1, callId: message.callId, result: { type: 'success', outputJson: JSON.stringify(text) } })}\n`);
            // Inside the first "€" of the text (three bytes in UTF-8): after its first byte.
            const split = answer.indexOf('€') + 1;
            input.write(answer.subarray(0, split));
            setTimeout(() => input.write(answer.subarray(split)), 1);
          } else if (message.type === 'result') {
            resolve(message.result);
          }
        });
      });
      expect(result).toMatchObject({ type: 'success', valueJson: String(calls) });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
