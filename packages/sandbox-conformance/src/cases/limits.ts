import { expect } from 'vitest';
import { addTool, constantTool, elapsedMs, expectFailure, expectStoppedByAdapter, expectSuccess, hangingTool } from '../case-helpers.js';
import { defineCase, lines } from '../conformance-case.js';
import type { ConformanceCase, ConformanceCaseContext } from '../conformance-case.js';

const timeoutMs = 1_000;

async function expectStillUsable(context: ConformanceCaseContext): Promise<void> {
  const result = expectSuccess(await context.run({ code: 'return 1', limits: { timeoutMs: 10_000 } }));
  expect(result.value).toBe(1);
}

async function expectTimeout(context: ConformanceCaseContext, code: string, tools: Parameters<ConformanceCaseContext['run']>[0]['tools'] = []): Promise<void> {
  const started = performance.now();
  const result = await context.run({ code, tools, limits: { timeoutMs } });
  const wallMs = elapsedMs(started);
  expectFailure(result, 'TIMEOUT');
  // A lower bound only (load makes runs slower, never faster); that the adapter itself stopped the
  // guest is checked by its effect: runCode's backstop did not have to abandon it.
  expect(wallMs).toBeGreaterThanOrEqual(timeoutMs - 50);
  expectStoppedByAdapter(result);
  await expectStillUsable(context);
}

const timeoutSync = defineCase<string>({
  id: 'limits.timeout-sync',
  description: 'A synchronous infinite loop ends with TIMEOUT reported by the adapter (not abandoned by runCode 5 s past the limit), and the sandbox runs the next code normally.',
  code: {
    javascript: lines('let i = 0;', 'while (true) { i++; }'),
    python: lines('i = 0', 'while True:', '    i += 1'),
  },
  run: async (context, code) => expectTimeout(context, code),
});

const timeoutAfterAwait = defineCase<string>({
  id: 'limits.timeout-after-await',
  description: 'An infinite loop that starts after an awaited tool call ends with TIMEOUT reported by the adapter (not abandoned by runCode 5 s past the limit).',
  code: {
    javascript: lines('const n = await add({ a: 1, b: 2 });', 'let i = n;', 'while (true) { i++; }'),
    python: lines('n = await add({"a": 1, "b": 2})', 'i = n', 'while True:', '    i += 1'),
  },
  run: async (context, code) => expectTimeout(context, code, [addTool().tool]),
});

const timeoutPending = defineCase<string>({
  id: 'limits.timeout-pending',
  description: 'Code that waits forever on a promise/future that never settles ends with TIMEOUT.',
  code: {
    javascript: lines('await new Promise(() => {});', 'return "unreachable";'),
    python: lines('import asyncio', 'await asyncio.get_running_loop().create_future()', 'return "unreachable"'),
  },
  run: async (context, code) => expectTimeout(context, code),
});

const hostEventLoopFree = defineCase<string>({
  id: 'limits.host-event-loop-free',
  description:
    'While guest code spins for 1.5 s, the host’s event loop keeps running (a 20 ms host interval keeps ticking), and the run then succeeds.',
  code: {
    javascript: lines('const end = Date.now() + 1500;', 'let spins = 0;', 'while (Date.now() < end) spins++;', 'return "spun";'),
    python: lines('import time', 'end = time.time() + 1.5', 'spins = 0', 'while time.time() < end:', '    spins += 1', 'return "spun"'),
  },
  run: async (context, code) => {
    let ticks = 0;
    const interval = setInterval(() => ticks++, 20);
    try {
      const result = expectSuccess(await context.run({ code, limits: { timeoutMs: 15_000 } }));
      expect(result.value).toBe('spun');
    } finally {
      clearInterval(interval);
    }
    // A blocked loop ticks about once; a free one about 75 times. Leave room for a busy machine.
    expect(ticks).toBeGreaterThanOrEqual(10);
  },
});

const memory = defineCase<{ within: string; beyond: string }>({
  id: 'limits.memory',
  description:
    'With memoryLimitBytes 64 MiB, allocating without end fails with MEMORY_LIMIT (not a timeout, not a host crash) and the sandbox runs the next code; allocating 8 MB under a 128 MiB limit works.',
  requires: { memoryLimit: true },
  code: {
    javascript: {
      within: lines('const hold = [];', 'for (let i = 0; i < 8; i++) hold.push(new Array(131072).fill(i));', 'return hold.length;'),
      beyond: lines(
        'const hold = [];',
        'for (let i = 0; i < 1e8; i++) hold.push({ i, text: "x".repeat(64) + i, list: new Array(64).fill(i) });',
        'return hold.length;',
      ),
    },
    python: {
      within: lines('hold = [b"x" * (1 << 20) for _ in range(8)]', 'return len(hold)'),
      beyond: lines('hold = []', 'for i in range(1000000):', '    hold.append(b"x" * (1 << 20))', 'return len(hold)'),
    },
  },
  run: async (context, { within, beyond }) => {
    const small = expectSuccess(await context.run({ code: within, limits: { memoryLimitBytes: 128 * 1024 * 1024, timeoutMs: 20_000 } }));
    expect(small.value).toBe(8);
    expectFailure(await context.run({ code: beyond, limits: { memoryLimitBytes: 64 * 1024 * 1024, timeoutMs: 20_000 } }), 'MEMORY_LIMIT');
    await expectStillUsable(context);
  },
});

const externalPrograms = {
  arrayBuffers: lines(
    'const held = [];',
    'let total = 0;',
    'try {',
    '  for (let i = 0; i < 64; i++) { const b = new ArrayBuffer(16 * 1024 * 1024); new Uint8Array(b).fill(1); held.push(b); total += b.byteLength; }',
    '} catch (e) { return { total, error: e.name }; }',
    'return { total };',
  ),
  wasmMemory: lines(
    'if (typeof WebAssembly === "undefined") return { total: 0, error: "no WebAssembly" };',
    'let memory;',
    'try {',
    '  memory = new WebAssembly.Memory({ initial: 1, maximum: 16384 });',
    '  for (let i = 0; i < 100; i++) { memory.grow(160); new Uint8Array(memory.buffer).fill(1); }',
    '} catch (e) { return { total: memory ? memory.buffer.byteLength : 0, error: e.name }; }',
    'return { total: memory.buffer.byteLength };',
  ),
  resizableBuffer: lines(
    'let buffer;',
    'try {',
    '  buffer = new ArrayBuffer(0, { maxByteLength: 1024 * 1024 * 1024 });',
    '  if (typeof buffer.resize !== "function") return { total: 0, error: "not resizable" };',
    '  for (let i = 1; i <= 64; i++) { buffer.resize(i * 16 * 1024 * 1024); new Uint8Array(buffer).fill(1); }',
    '} catch (e) { return { total: buffer ? buffer.byteLength : 0, error: e.name }; }',
    'return { total: buffer.byteLength };',
  ),
};

const memoryExternal = defineCase<typeof externalPrograms>({
  id: 'limits.memory-external',
  description:
    'Memory outside the JavaScript heap counts too: with memoryLimitBytes 64 MiB, the guest cannot hold 1 GiB in ArrayBuffers, a growing WebAssembly.Memory or a resizable ArrayBuffer. Each attempt ends with MEMORY_LIMIT, or with the guest refused (it holds at most twice the limit), and the sandbox runs the next code.',
  requires: { memoryLimit: true },
  code: { javascript: externalPrograms },
  run: async (context, programs) => {
    const memoryLimitBytes = 64 * 1024 * 1024;
    for (const [label, code] of Object.entries(programs)) {
      // validation: false: WebAssembly is a forbidden name; the sandbox's own limit is under test.
      const result = await context.run({ validation: false, code, limits: { memoryLimitBytes, timeoutMs: 20_000 } });
      if (result.type === 'error') {
        expect({ label, code: result.error.code }).toStrictEqual({ label, code: 'MEMORY_LIMIT' });
      } else {
        const { total } = result.value as { total: number };
        expect({ label, withinTwiceTheLimit: total <= 2 * memoryLimitBytes, total }).toMatchObject({ label, withinTwiceTheLimit: true });
      }
      await expectStillUsable(context);
    }
  },
});

const abortMidRun = defineCase<{ spinning: string; waiting: string }>({
  id: 'limits.abort-mid-run',
  description:
    'Firing abortSignal while the guest spins after a tool call, or while it awaits a tool that never answers, ends the run with ABORTED (well before its 20 s time limit, which would give TIMEOUT).',
  code: {
    javascript: {
      spinning: lines('await started();', 'while (true) {}'),
      waiting: lines('await started();', 'await hang();', 'return "unreachable";'),
    },
    python: {
      spinning: lines('await started()', 'while True:', '    pass'),
      waiting: lines('await started()', 'await hang()', 'return "unreachable"'),
    },
  },
  run: async (context, programs) => {
    for (const code of [programs.spinning, programs.waiting]) {
      const controller = new AbortController();
      let aborted = false;
      const started = constantTool('started', () => {
        setTimeout(() => {
          aborted = true;
          controller.abort();
        }, 200);
        return 'go';
      });
      const result = await context.run({ code, tools: [started, hangingTool('hang')], abortSignal: controller.signal, limits: { timeoutMs: 20_000 } });
      expect(aborted).toBe(true);
      expectFailure(result, 'ABORTED');
      await expectStillUsable(context);
    }
  },
});

const abortBeforeStart = defineCase<string>({
  id: 'limits.abort-before-start',
  description: 'An abortSignal that has already fired ends the run with ABORTED before any guest code or tool runs.',
  code: {
    javascript: lines('await add({ a: 1, b: 2 });', 'console.log("ran");', 'return 1;'),
    python: lines('await add({"a": 1, "b": 2})', 'print("ran")', 'return 1'),
  },
  run: async (context, code) => {
    const add = addTool();
    const result = await context.run({ code, tools: [add.tool], abortSignal: AbortSignal.abort() });
    expectFailure(result, 'ABORTED');
    expect(result.stdout).toBe('');
    expect(result.toolCalls).toStrictEqual([]);
    expect(add.calls()).toBe(0);
  },
});

/** Cases of the `limits` area: time, memory and cancellation. */
export const limitCases: readonly ConformanceCase[] = [
  timeoutSync,
  timeoutAfterAwait,
  timeoutPending,
  hostEventLoopFree,
  memory,
  memoryExternal,
  abortMidRun,
  abortBeforeStart,
];
