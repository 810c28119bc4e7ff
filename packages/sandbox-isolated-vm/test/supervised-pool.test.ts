// Supervised mode starts its child processes when the sandbox is created (ready() says when they
// are up), hosts several runs per child, and replaces a child whose fatal out-of-memory ended the
// runs it hosted. Creating and disposing many sandboxes leaves no process behind.
import { defineTool, runCode, SandboxStartError } from '@codecall/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIsolatedVmSandbox } from '../src/index.js';
import { childProcessIds } from './child-processes.js';

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

const add = defineTool({ name: 'add', description: 'Adds.', input: z.object({ a: z.number(), b: z.number() }), execute: async ({ a, b }) => a + b });

describe('supervised pool', { timeout: 120_000 }, () => {
  it('starts its children when the sandbox is created; ready() resolves once they are up', async () => {
    const before = new Set(childProcessIds());
    const sandbox = createIsolatedVmSandbox({ poolSize: 2 });
    try {
      // Started by the constructor, before any run.
      expect(childProcessIds().filter((id) => !before.has(id))).toHaveLength(2);
      await sandbox.ready();
      const result = await runCode({ sandbox, tools: [add], code: 'return await add({ a: 1, b: 2 });' });
      expect(result.type === 'success' && result.value).toBe(3);
      // The first run used a started child: no process was added for it.
      expect(childProcessIds().filter((id) => !before.has(id))).toHaveLength(2);
    } finally {
      await sandbox.dispose();
    }
  });

  it('ready() rejects with a SandboxStartError when its children cannot start, and runs say so too', async () => {
    const sandbox = createIsolatedVmSandbox({ nodeExecutable: '/nonexistent/node' });
    try {
      await expect(sandbox.ready()).rejects.toSatisfy((error: unknown) => SandboxStartError.isInstance(error));
      await expect(runCode({ sandbox, code: 'return 1;' })).rejects.toSatisfy((error: unknown) => SandboxStartError.isInstance(error));
    } finally {
      await sandbox.dispose();
    }
  });

  it('in-process mode is ready at once', async () => {
    const sandbox = createIsolatedVmSandbox({ mode: 'in-process' });
    await expect(sandbox.ready()).resolves.toBeUndefined();
    await sandbox.dispose();
  });

  it('ends every run of a child whose fatal out-of-memory killed it, as errors, and replaces the child', async () => {
    const sandbox = createIsolatedVmSandbox({ poolSize: 1, maxProcesses: 1, isolatesPerProcess: 2 });
    let started = 0;
    const wait = defineTool({
      name: 'wait',
      input: z.object({}),
      execute: async () => {
        started++;
        await new Promise((resolve) => setTimeout(resolve, 60_000));
        return 'late';
      },
    });
    try {
      await sandbox.ready();
      // A run that waits on a tool, then a run that exhausts V8 memory in the same child.
      const waiting = runCode({ sandbox, tools: [wait], code: 'return await wait({});', limits: { timeoutMs: 60_000, toolTimeoutMs: 60_000 } });
      await waitFor(() => started > 0, 30_000);
      const crashed = await runCode({
        sandbox,
        code: 'const set = new Set(); for (let i = 0; i < 1e8; i++) set.add(i * 1.5); return set.size;',
        limits: { memoryLimitBytes: 64 << 20, timeoutMs: 30_000 },
      });
      expect(crashed.type === 'error' && crashed.error.code).toBe('MEMORY_LIMIT');
      const other = await waiting;
      expect(other.type === 'error' && other.error.code).toBe('MEMORY_LIMIT');
      expect(other.type === 'error' && other.error.message).toMatch(/isolatesPerProcess/);
      const next = await runCode({ sandbox, tools: [add], code: 'return await add({ a: 2, b: 3 });' });
      expect(next.type === 'success' && next.value).toBe(5);
    } finally {
      await sandbox.dispose();
    }
  });

  it('keeps a child started for a run beyond the pool while runs keep coming, and stops it once idle', async () => {
    // One run per child: every run takes the only started child, so a spare starts for the next
    // run. The run's own child is kept afterwards instead of killed, so back-to-back runs reuse
    // the same two processes rather than start one each.
    const before = new Set(childProcessIds());
    const spawned = new Set<number>();
    const sandbox = createIsolatedVmSandbox({ poolSize: 1, isolatesPerProcess: 1, idleTimeoutMs: 3_000 });
    const track = (): number[] => {
      const current = childProcessIds().filter((id) => !before.has(id));
      for (const id of current) spawned.add(id);
      return current;
    };
    try {
      await sandbox.ready();
      for (let index = 0; index < 6; index++) {
        const result = await runCode({ sandbox, tools: [add], code: `return await add({ a: ${index}, b: 1 });` });
        expect(result.type === 'success' && result.value).toBe(index + 1);
        track();
        // Let a spare that is still starting come up, as between an agent's turns.
        await new Promise((resolve) => setTimeout(resolve, 300));
        track();
      }
      expect(spawned.size).toBe(2);
      // Idle past idleTimeoutMs: only poolSize children stay.
      await waitFor(() => track().length === 1, 20_000);
      expect(track()).toHaveLength(1);
    } finally {
      await sandbox.dispose();
    }
  });

  it('leaves no process behind after 200 sandboxes were created and disposed', { timeout: 300_000 }, async () => {
    const before = new Set(childProcessIds());
    for (let index = 0; index < 200; index++) {
      const sandbox = createIsolatedVmSandbox();
      // Every tenth runs once; the others are disposed while their child may still be starting.
      if (index % 10 === 0) await runCode({ sandbox, code: 'return 1;' });
      await sandbox.dispose();
    }
    await waitFor(() => childProcessIds().every((id) => before.has(id)), 10_000);
    expect(childProcessIds().filter((id) => !before.has(id))).toEqual([]);
  });
});
