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
