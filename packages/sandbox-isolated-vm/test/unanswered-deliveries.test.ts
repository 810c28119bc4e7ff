// After its first few tool results, a run's results go into the isolate unanswered (applyIgnored);
// one delivery watches the run's end instead. These runs make well past that many calls, then
// fail in the ways an answer used to report: the outcome must be the same as for a short run.
import { defineTool, runCode } from '@codecall/core';
import type { Limits } from '@codecall/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIsolatedVmSandbox } from '../src/index.js';
import { fortyCalls as sequential, spinBehindTheEnd } from './long-runs.js';

const ping = defineTool({ name: 'ping', description: 'Returns its input number.', input: z.object({ i: z.number() }), execute: async ({ i }) => i });
const tools = [ping];
const sandbox = createIsolatedVmSandbox({ mode: 'in-process', poolSize: 1 });
afterAll(() => sandbox.dispose());

const parallel = 'let sum = 0;\nfor (let round = 0; round < 20; round++) sum += (await Promise.all([ping({ i: 1 }), ping({ i: 2 })])).length;';

async function run(code: string, limits: Limits) {
  return runCode({ sandbox, code, tools, limits: { maxToolCalls: 1_000, ...limits } });
}

describe('a run past its answered deliveries', () => {
  it.each([
    ['sequential', sequential],
    ['parallel', parallel],
  ])('still succeeds with every answer (%s calls)', async (_kind, calls) => {
    const result = await run(`${calls}\nreturn sum;`, {});
    expect(result).toMatchObject({ type: 'success', value: calls === sequential ? 780 : 40 });
    expect(result.toolCalls).toHaveLength(40);
  });

  // Without the watching delivery nothing would report the isolate's death: the run would end at
  // its 20 s time limit as a TIMEOUT.
  it.each([
    ['sequential', sequential],
    ['parallel', parallel],
  ])('reports the memory limit it hits after them (%s calls), not a timeout', async (_kind, calls) => {
    const result = await run(`${calls}\nconst keep = [];\nfor (;;) keep.push(new Array(100000).fill(sum));`, { memoryLimitBytes: 32 << 20, timeoutMs: 20_000 });
    expect(result).toMatchObject({ type: 'error', error: { code: 'MEMORY_LIMIT' } });
  });

  it('times out when it spins after them', async () => {
    const result = await run(`${sequential}\nwhile (true) {}`, { timeoutMs: 400 });
    expect(result).toMatchObject({ type: 'error', error: { code: 'TIMEOUT' } });
    // The isolate was stopped: the next run on the sandbox works.
    expect(await run('return await ping({ i: 5 });', {})).toMatchObject({ type: 'success', value: 5 });
  });
});

// The run's promise settles before the isolate has run what the guest queued behind it. Were the
// run reported then, the pool's recycling of the isolate (synchronous calls into it) would wait on
// this thread for the guest's queued work: without the wait for the isolate to stop, the host's
// event loop stalled for as long as the guest spun. (host-process.test.ts exits a real process on
// such a result.) Measured as the longest gap between 10 ms ticks, with 1.5 s of spinning against a
// bound of 750 ms.
describe('the host event loop', () => {
  it('keeps turning after the result of a run that queued spinning work behind its end', async () => {
    const result = await run(`${sequential}\n${spinBehindTheEnd}\nreturn sum;`, { timeoutMs: 60_000 });
    expect(result).toMatchObject({ type: 'success', value: 780 });
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 10);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    clearInterval(ticker);
    expect(longestGap).toBeLessThan(750);
  });
});
