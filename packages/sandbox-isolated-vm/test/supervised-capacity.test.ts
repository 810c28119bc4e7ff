// Supervised mode bounds the child processes running guest code at once (settings.maxProcesses),
// each hosting up to settings.isolatesPerProcess runs: a burst of runs must not start one Node
// process per run. Runs beyond the bound wait; the wait
// counts against their time limit, and an abort or a dispose ends a waiting run.
import { defineTool, runCode } from '@codecall/core';
import type { RunResult } from '@codecall/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIsolatedVmSandbox } from '../src/index.js';
import { childProcessIds } from './child-processes.js';

function holdTool() {
  const state = { active: 0, maxActive: 0 };
  const tool = defineTool({
    name: 'hold',
    description: 'Holds its run for a while, counting runs that hold at once.',
    input: z.object({ ms: z.number() }),
    execute: async ({ ms }) => {
      state.active++;
      state.maxActive = Math.max(state.maxActive, state.active);
      await new Promise((resolve) => setTimeout(resolve, ms));
      state.active--;
      return 'held';
    },
  });
  return { tool, state };
}

const codeOf = (result: RunResult): unknown => (result.type === 'success' ? result.value : result.error.code);

describe('supervised mode under a burst of runs', { timeout: 120_000 }, () => {
  it('runs at most maxProcesses at once, and every run of the burst completes', async () => {
    const sandbox = createIsolatedVmSandbox({ maxProcesses: 2, isolatesPerProcess: 1, poolSize: 1 });
    const hold = holdTool();
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, () => runCode({ sandbox, tools: [hold.tool], code: 'return await hold({ ms: 200 });', limits: { timeoutMs: 60_000 } })),
      );
      expect(results.map(codeOf)).toEqual(Array.from({ length: 8 }, () => 'held'));
      expect(hold.state.maxActive).toBeLessThanOrEqual(2);
    } finally {
      await sandbox.dispose();
    }
  });

  it('runs at most maxProcesses × isolatesPerProcess at once, several in one process', async () => {
    const before = new Set(childProcessIds());
    const sandbox = createIsolatedVmSandbox({ maxProcesses: 1, isolatesPerProcess: 3, poolSize: 1 });
    const state = { active: 0, maxActive: 0, maxChildren: 0 };
    // Each call waits (bounded) until a second run holds too, so a busy machine cannot hide the sharing.
    const hold = defineTool({
      name: 'hold',
      input: z.object({}),
      execute: async () => {
        state.active++;
        state.maxActive = Math.max(state.maxActive, state.active);
        state.maxChildren = Math.max(state.maxChildren, childProcessIds().filter((id) => !before.has(id)).length);
        for (let waited = 0; state.active < 2 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
        await new Promise((resolve) => setTimeout(resolve, 100));
        state.active--;
        return 'held';
      },
    });
    try {
      await sandbox.ready();
      const results = await Promise.all(Array.from({ length: 7 }, () => runCode({ sandbox, tools: [hold], code: 'return await hold({});', limits: { timeoutMs: 60_000 } })));
      expect(results.map(codeOf)).toEqual(Array.from({ length: 7 }, () => 'held'));
      expect(state.maxActive).toBeGreaterThanOrEqual(2);
      expect(state.maxActive).toBeLessThanOrEqual(3);
      expect(state.maxChildren).toBe(1);
    } finally {
      await sandbox.dispose();
    }
  });

  it('ends a waiting run on abort, at its time limit, and on dispose', async () => {
    const sandbox = createIsolatedVmSandbox({ maxProcesses: 1, isolatesPerProcess: 1, poolSize: 1 });
    const hold = holdTool();
    const busy = runCode({ sandbox, tools: [hold.tool], code: 'return await hold({ ms: 3000 });', limits: { timeoutMs: 60_000 } });
    // Let the first run take the only place.
    while (hold.state.active === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const controller = new AbortController();
    const aborted = runCode({ sandbox, code: 'return 1;', abortSignal: controller.signal });
    const timedOut = runCode({ sandbox, code: 'return 2;', limits: { timeoutMs: 300 } });
    controller.abort();
    expect(codeOf(await aborted)).toBe('ABORTED');
    expect(codeOf(await timedOut)).toBe('TIMEOUT');
    const disposedWhileWaiting = runCode({ sandbox, code: 'return 3;', limits: { timeoutMs: 60_000 } });
    await sandbox.dispose();
    expect(codeOf(await disposedWhileWaiting)).toBe('ABORTED');
    expect(codeOf(await busy)).toBe('ABORTED');
  });
});
