// After its first few tool results, a run's results go into the isolate unanswered (applyIgnored);
// one delivery watches the run's end instead. These runs make well past that many calls, then
// fail in the ways an answer used to report: the outcome must be the same as for a short run.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defineTool, runCode } from '@codecall/core';
import type { Limits } from '@codecall/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIsolatedVmSandbox } from '../src/index.js';

const ping = defineTool({ name: 'ping', description: 'Returns its input number.', input: z.object({ i: z.number() }), execute: async ({ i }) => i });
const tools = [ping];
const sandbox = createIsolatedVmSandbox({ mode: 'in-process', poolSize: 1 });
afterAll(() => sandbox.dispose());

const sequential = 'let sum = 0;\nfor (let i = 0; i < 40; i++) sum += await ping({ i });';
const parallel = 'let sum = 0;\nfor (let round = 0; round < 20; round++) sum += (await Promise.all([ping({ i: 1 }), ping({ i: 2 })])).length;';

// 1.5 s of spinning at the end of a promise chain long enough to run after the run's promise has
// settled (a shorter chain runs before it: the run's promise settles a few microtasks after the
// program returns).
const spinBehindTheEnd = 'let tail = Promise.resolve();\nfor (let k = 0; k < 20; k++) tail = tail.then(() => 0);\ntail.then(() => { const until = Date.now() + 1500; while (Date.now() < until) {} });';

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
// run reported then, the pool's recycling of the isolate (a synchronous heap check) would wait on
// this thread for the guest's queued work: the host's event loop would stall for as long as it
// spins. Measured as the longest gap between 10 ms ticks, with 1.5 s of spinning against a bound
// of 750 ms.
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

// The run's promise settles before the isolate has run what the guest queued behind it. A host
// that exits on the result while the isolate still executes can hang or crash (see the README's
// hazards), so the result must wait until the isolate stopped: a real process exits on it here.
describe('the host process', () => {
  it('exits cleanly on the result of a run that queued spinning work behind its end', async () => {
    const distIndex = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const coreIndex = fileURLToPath(import.meta.resolve('@codecall/core'));
    const script = `
      import { defineTool, runCode } from ${JSON.stringify(coreIndex)};
      import { createIsolatedVmSandbox } from ${JSON.stringify(distIndex)};
      import { z } from 'zod';
      const ping = defineTool({ name: 'ping', description: 'p', input: z.object({ i: z.number() }), execute: async ({ i }) => i });
      const sandbox = createIsolatedVmSandbox({ mode: 'in-process' });
      const code = ${JSON.stringify(`${sequential}\n${spinBehindTheEnd}\nreturn sum;`)};
      const result = await runCode({ sandbox, code, tools: [ping], limits: { timeoutMs: 60000 } });
      console.log(result.type, result.type === 'success' ? result.value : result.error.code);
      process.exit(0);`;
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ['--no-node-snapshot', '--input-type=module', '-e', script], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      // A hung process is the failure being tested for.
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (code, signal) => {
        clearTimeout(killer);
        resolve({ code, signal, stdout });
      });
    });
    expect(exit.stdout).toContain('success 780');
    expect([exit.code, exit.signal]).toEqual([0, null]);
  }, 30_000);
});
