import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runInRunner } from './run-in-runner.js';

// The runners send the calls made in one tick (node) or one turn of the event loop (python) in one
// write, but the first of them at once: a call the guest starts before a stretch of synchronous
// work must reach the host while that work goes on, not after it.

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

interface Outcome {
  readonly calls: unknown[];
  readonly final: Record<string, unknown>;
}

/** Runs `code` in a runner whose host answers every call and, at call number `flagAt`, creates `flag`. */
async function runWithFlag(runtime: 'node' | 'python', code: string, flag: string, flagAt = 1): Promise<Outcome> {
  const calls: unknown[] = [];
  const final = await runInRunner(runtime, code, {
    tools: [{ name: 'ping', identifier: 'ping', parameters: [{ name: 'i', required: true }] }],
    answer: ({ input }) => {
      calls.push(JSON.parse(input ?? 'null'));
      if (calls.length === flagAt) writeFileSync(flag, '');
      return { ok: true, ...(input === undefined ? {} : { output: input }) };
    },
  });
  return { calls, final };
}

function flagPath(): string {
  const directory = mkdtempSync(join(tmpdir(), 'codecall-batching-'));
  directories.push(directory);
  return join(directory, 'called');
}

describe('runner: calls of one tick go out together, the first at once', () => {
  test('node: a call started before synchronous work reaches the host during that work', { timeout: 30_000 }, async () => {
    const flag = flagPath();
    // The guest spins (at most 10 s) until the host has seen its call; a deferred call would only
    // go out after the spin, so it would end by its bound with seen = false.
    const code = [
      "const { existsSync } = require('node:fs');",
      'const first = ping({ i: 1 });',
      'const more = [ping({ i: 2 }), ping({ i: 3 })];',
      'const until = Date.now() + 10000;',
      `let seen = false;`,
      `while (!seen && Date.now() < until) seen = existsSync(${JSON.stringify(flag)});`,
      'return { seen, answers: [await first, ...(await Promise.all(more))] };',
    ].join('\n');
    const { calls, final } = await runWithFlag('node', code, flag);
    expect(final).toEqual({ t: 'done', value: JSON.stringify({ seen: true, answers: [{ i: 1 }, { i: 2 }, { i: 3 }] }) });
    expect(calls).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
    expect(existsSync(flag)).toBe(true);
  });

  test('python: a call started by a task reaches the host while another task computes', { timeout: 30_000 }, async () => {
    const flag = flagPath();
    const code = [
      'import asyncio, os, time',
      'first = asyncio.create_task(ping(1))',
      'more = [asyncio.create_task(ping(i)) for i in (2, 3)]',
      'await asyncio.sleep(0)',
      'until = time.monotonic() + 10',
      'seen = False',
      'while not seen and time.monotonic() < until:',
      `    seen = os.path.exists(${JSON.stringify(flag)})`,
      'return {"seen": seen, "answers": [await first] + list(await asyncio.gather(*more))}',
    ].join('\n');
    const { calls, final } = await runWithFlag('python', code, flag);
    expect(final).toEqual({ t: 'done', value: JSON.stringify({ seen: true, answers: [{ i: 1 }, { i: 2 }, { i: 3 }] }) });
    expect(calls).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
  });

  test('node: a guest that calls in a loop without ever ending its tick still reaches the host', { timeout: 30_000 }, async () => {
    const flag = flagPath();
    // The host sets the flag at the 300th call; without a bound on the queue only the first call
    // would go out before the loop ends (by its 10 s bound, with seen = false).
    const code = [
      "const { existsSync } = require('node:fs');",
      'const until = Date.now() + 10000;',
      'let n = 0;',
      'let seen = false;',
      `while (!seen && Date.now() < until) { ping({ i: n++ }).catch(() => undefined); seen = existsSync(${JSON.stringify(flag)}); }`,
      'return { seen };',
    ].join('\n');
    const { calls, final } = await runWithFlag('node', code, flag, 300);
    expect(final).toEqual({ t: 'done', value: '{"seen":true}' });
    expect(calls.length).toBeGreaterThanOrEqual(300);
  });

  test('python: calls of a turn that does not end still reach the host', { timeout: 30_000 }, async () => {
    const flag = flagPath();
    // 999 tasks call in one turn; the last task of that turn waits for the flag the host sets at
    // the 300th call.
    const code = [
      'import asyncio, os, time',
      'async def step(i):',
      '    if i < 999:',
      '        return await ping(i)',
      '    until = time.monotonic() + 10',
      `    while not os.path.exists(${JSON.stringify(flag)}) and time.monotonic() < until:`,
      '        pass',
      `    return os.path.exists(${JSON.stringify(flag)})`,
      'results = await asyncio.gather(*[step(i) for i in range(1000)])',
      'return results[-1]',
    ].join('\n');
    const { calls, final } = await runWithFlag('python', code, flag, 300);
    expect(final).toEqual({ t: 'done', value: 'true' });
    expect(calls).toHaveLength(999);
  });

  test('node: a guest that replaces process.nextTick still gets the calls of its Promise.all out', async () => {
    const code = 'process.nextTick = () => undefined;\nconst r = await Promise.all([ping({ i: 1 }), ping({ i: 2 })]);\nreturn r.map((x) => x.i);';
    const { calls, final } = await runWithFlag('node', code, flagPath());
    expect(calls).toEqual([{ i: 1 }, { i: 2 }]);
    expect(final).toEqual({ t: 'done', value: '[1,2]' });
  });

  test.each(['node', 'python'] as const)('%s: 200 calls made at once all arrive, in order, and all are answered', async (runtime) => {
    const code = runtime === 'node'
      ? 'const r = await Promise.all(Array.from({ length: 200 }, (_, i) => ping({ i }))); return r.map((x) => x.i);'
      : 'import asyncio\nr = await asyncio.gather(*[ping(i) for i in range(200)])\nreturn [x["i"] for x in r]';
    const { calls, final } = await runWithFlag(runtime, code, flagPath());
    const expected = Array.from({ length: 200 }, (_, i) => i);
    expect(calls).toEqual(expected.map((i) => ({ i })));
    expect(JSON.parse(final['value'] as string)).toEqual(expected);
  });
});
