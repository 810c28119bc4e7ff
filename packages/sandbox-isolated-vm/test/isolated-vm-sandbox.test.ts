import { defineTool, runCode, SandboxDisposedError, SandboxError } from '@codecall/core';
import type { Limits, RunResult } from '@codecall/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIsolatedVmSandbox, IsolatedVmSandbox } from '../src/index.js';

const echo = defineTool({
  name: 'echo',
  description: 'Returns its input.',
  input: z.object({ value: z.unknown() }),
  execute: async ({ value }) => ({ value }),
});

const failing = defineTool({
  name: 'failing',
  description: 'Always fails.',
  input: z.object({}),
  execute: async () => {
    throw new Error('backend down');
  },
});

let active = 0;
let maxActive = 0;
const slow = defineTool({
  name: 'slow',
  description: 'Waits, counting how many calls run at once.',
  input: z.object({ ms: z.number() }),
  execute: async ({ ms }) => {
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise((resolve) => setTimeout(resolve, ms));
    active--;
    return ms;
  },
});

const sandbox = createIsolatedVmSandbox({ mode: 'in-process', poolSize: 1 });
afterAll(() => sandbox.dispose());

// Code validation is off: these tests attack the isolate boundary itself.
function run(code: string, limits?: Limits): Promise<RunResult> {
  return runCode({ sandbox, code, tools: [echo, failing, slow], validation: false, ...(limits === undefined ? {} : { limits }) });
}

function success(result: RunResult): unknown {
  if (result.type !== 'success') throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.value;
}

describe('createIsolatedVmSandbox', () => {
  it('declares the isolate capabilities', () => {
    expect(sandbox).toBeInstanceOf(IsolatedVmSandbox);
    expect(sandbox.specificationVersion).toBe('v1');
    expect(sandbox.capabilities).toEqual({ languages: ['javascript', 'typescript'], isolation: 'isolate', network: false, filesystem: false, processApi: false, memoryLimit: true, liveOutput: true });
  });

  it('rejects bad settings with a SandboxConfigurationError', () => {
    expect(() => createIsolatedVmSandbox({ poolSize: -1 })).toThrow(/poolSize/);
    expect(() => createIsolatedVmSandbox({ mode: 'elsewhere' as 'supervised' })).toThrow(/mode/);
    expect(() => createIsolatedVmSandbox({ maxProcesses: 0 })).toThrow(/maxProcesses/);
    expect(() => createIsolatedVmSandbox({ idleTimeoutMs: -1 })).toThrow(/idleTimeoutMs/);
    expect(() => createIsolatedVmSandbox({ idleTimeoutMs: 1.5 })).toThrow(/idleTimeoutMs/);
  });

  it('runs tool calls of one Promise.all concurrently', async () => {
    maxActive = 0;
    const value = success(await run('return (await Promise.all([1, 2, 3, 4, 5].map(() => slow({ ms: 100 })))).length;'));
    expect(value).toBe(5);
    expect(maxActive).toBe(5);
  });

  it('keeps output posted before the return in order', async () => {
    const result = await run('for (let i = 0; i < 500; i++) console.log(i); return "end";');
    expect(success(result)).toBe('end');
    expect(result.stdout).toBe(Array.from({ length: 500 }, (_, index) => `${index}\n`).join(''));
  });

  it('fails fast on an exponential shared-reference graph in console.log, tool input and return value', async () => {
    const graph = 'let o = { leaf: "x".repeat(20) }; for (let i = 0; i < 60; i++) o = { a: o, b: o };';
    const logged = await run(`${graph} console.log(o); return "survived";`, { maxValueBytes: 4_096, timeoutMs: 5_000 });
    expect(success(logged)).toBe('survived');
    expect(logged.outputTruncated).toBe(true);
    const input = await run(`${graph} try { await echo({ value: o }); } catch (e) { return e.code; }`, { maxValueBytes: 4_096, timeoutMs: 5_000 });
    expect(success(input)).toBe('VALUE_TOO_LARGE');
    const returned = await run(`${graph} return o;`, { maxValueBytes: 4_096, timeoutMs: 5_000 });
    expect(returned.type === 'error' && returned.error.code).toBe('OUTPUT_LIMIT');
  });

  it('serializes tool inputs as JSON.stringify does, running each getter of a flat input once', async () => {
    const received: unknown[] = [];
    const capture = defineTool({
      name: 'capture',
      description: 'Records its input.',
      input: z.record(z.string(), z.unknown()),
      execute: async (input) => {
        received.push(input);
        return true;
      },
    });
    const code = [
      'let reads = 0;',
      'Object.defineProperty(Object.prototype, "k", { set() { throw new Error("setter"); }, configurable: true });',
      'await capture({ get n() { reads++; return reads; }, s: "é" });',
      'await capture({ u: undefined, z: null, nan: NaN, neg: -0, t: true, k: 1 });',
      'const bare = Object.create(null); bare.x = "y"; await capture(bare);',
      'await capture({ a: 1, toJSON() { return { b: 2 }; } });',
      'await capture(new (class { constructor() { this.c = [1, { d: 2 }]; } })());',
      'await capture({ b: 1, 2: "x", a: 2 });',
      'return reads;',
    ].join('\n');
    const result = await runCode({ sandbox, code, tools: [capture], validation: false });
    expect(success(result)).toBe(1);
    expect(received).toStrictEqual([{ n: 1, s: 'é' }, { z: null, nan: null, neg: 0, t: true, k: 1 }, { x: 'y' }, { b: 2 }, { c: [1, { d: 2 }] }, { 2: 'x', b: 1, a: 2 }]);
    expect(Object.keys(received[5] as object)).toStrictEqual(['2', 'b', 'a']);
  });

  it('keeps its bridge working when guest code replaces the built-ins it uses', async () => {
    const code = [
      'JSON.stringify = () => "{\\"value\\":\\"forged\\"}";',
      'JSON.parse = () => ({ value: "forged" });',
      'Promise.prototype.then = function () { throw new Error("hijacked"); };',
      'Object.defineProperty(Object.prototype, "value", { set() { throw new Error("setter"); }, configurable: true });',
      'Reflect.apply = () => { throw new Error("reflect"); };',
      'const r = await echo({ value: 41 });',
      'return r.value + 1;',
    ].join('\n');
    expect(success(await run(code))).toBe(42);
  });

  it('reaches no host object through a tool result or a tool error', async () => {
    const code = [
      'const r = await echo({ value: { nested: [1] } });',
      'const found = [];',
      'const probe = (x) => { try { return x.constructor.constructor("return typeof process")(); } catch (e) { return "threw"; } };',
      'found.push(probe(r), probe(r.value), probe(r.value.nested));',
      'try { await failing({}); } catch (e) { found.push(probe(e), e instanceof Error, Object.getPrototypeOf(e) === ToolError.prototype); }',
      'found.push(r instanceof Object, r.constructor === Object);',
      'return found;',
    ].join('\n');
    expect(success(await run(code))).toEqual(['undefined', 'undefined', 'undefined', 'undefined', true, true, true, true]);
  });

  it('removes memory that escapes the heap limit: WebAssembly, SharedArrayBuffer, resizable ArrayBuffers', async () => {
    const code = [
      'const a = new ArrayBuffer(8, { maxByteLength: 2 ** 31 });',
      'const b = new (Object.getPrototypeOf(new Uint8Array(1).buffer).constructor)(8, { maxByteLength: 2 ** 31 });',
      'return [typeof WebAssembly, typeof SharedArrayBuffer, a.resizable, b.resizable, typeof a.resize, a instanceof ArrayBuffer, new Uint8Array(a).length];',
    ].join('\n');
    expect(success(await run(code))).toEqual(['undefined', 'undefined', false, false, 'undefined', true, 8]);
  });

  it('counts ArrayBuffer memory against memoryLimitBytes', async () => {
    const result = await run('const keep = [];\nfor (let i = 0; i < 100; i++) keep.push(new ArrayBuffer(16 << 20));\nreturn keep.length;', { memoryLimitBytes: 64 << 20 });
    expect(result.type === 'error' && [result.error.code, result.error.line]).toEqual(['MEMORY_LIMIT', 2]);
    expect(success(await run('return 1;'))).toBe(1);
  });

  it('shares no state between runs on the same pooled isolate', async () => {
    await run('globalThis.leak = 1; Array.prototype.push = () => 0; Object.prototype.polluted = true; echo = null;');
    const value = success(await run('const a = []; a.push(1); return [typeof leak, a.length, typeof ({}).polluted, typeof echo];'));
    expect(value).toEqual(['undefined', 1, 'undefined', 'function']);
  });

  it('reports a result when microtasks spin after the return, then replaces the isolate', async () => {
    const result = await run('Promise.resolve().then(() => { while (true) {} }); return 7;', { timeoutMs: 500 });
    // Either the return value arrived before the spin, or the spin hit the time limit first.
    expect(result.type === 'success' ? result.value : result.error.code).toSatisfy((value) => value === 7 || value === 'TIMEOUT');
    expect(success(await run('return 8;'))).toBe(8);
  });

  it('keeps guest lines in errors thrown after awaits and inside Promise.all', async () => {
    const thrown = await run('const x = 1;\nawait echo({ value: 1 });\n\nthrow new RangeError("late");');
    expect(thrown.type === 'error' && [thrown.error.code, thrown.error.name, thrown.error.line]).toEqual(['RUNTIME_ERROR', 'RangeError', 4]);
    const tool = await run('const x = 1;\n\nawait Promise.all([echo({ value: 1 }), failing({})]);');
    expect(tool.type === 'error' && [tool.error.code, tool.error.toolErrorCode, tool.error.line]).toEqual(['TOOL_ERROR', 'TOOL_FAILED', 3]);
  });

  it('refuses a runaway loop of tool calls past maxToolCalls without queueing them on the host', async () => {
    const result = await run('let refused = 0; for (let i = 0; i < 5000; i++) { try { await echo({ value: i }); } catch (e) { if (e.code === "TOOL_CALL_LIMIT") refused++; } } return refused;', { maxToolCalls: 10 });
    expect(success(result)).toBe(4_990);
    expect(result.toolCalls.length).toBe(11);
  });

  it('rejects execute after dispose with SandboxDisposedError; dispose is idempotent', async () => {
    const own = createIsolatedVmSandbox({ mode: 'in-process' });
    expect(success(await runCode({ sandbox: own, code: 'return 1' }))).toBe(1);
    await Promise.all([own.dispose(), own.dispose()]);
    await own[Symbol.asyncDispose]();
    const error: unknown = await runCode({ sandbox: own, code: 'return 1' }).catch((caught: unknown) => caught);
    expect(SandboxError.isInstance(error) && error.code).toBe('SANDBOX_DISPOSED');
    expect(error).toBeInstanceOf(SandboxDisposedError);
  });

  it('runs cold with poolSize 0', async () => {
    const cold = createIsolatedVmSandbox({ mode: 'in-process', poolSize: 0 });
    try {
      expect(success(await runCode({ sandbox: cold, code: 'return 2' }))).toBe(2);
      expect(success(await runCode({ sandbox: cold, code: 'return typeof leak' }))).toBe('undefined');
    } finally {
      await cold.dispose();
    }
  });
});

describe('syntax errors', () => {
  // V8 finds an unbalanced program at the wrapper's closing line, one past the program's last.
  it('report a line of the program, also when V8 finds the error only after its last line', async () => {
    for (const [code, line] of [['const a = 1;\nconst b = ;\nreturn a;', 2], ['return 1;\n}', 2], ['const a = [1,\n2;', 2], ['return (', 1]] as const) {
      const result = await run(code);
      expect(result.type === 'error' && { code: result.error.code, line: result.error.line }, code).toEqual({ code: 'SYNTAX_ERROR', line });
    }
  });
});

describe('the guest prelude', () => {
  // A perf property without a timing: V8 compiles a parenthesized function expression with its
  // script, so the cold path's code cache holds it; a function declaration would be compiled at its
  // first call in every fresh isolate (see guestPreludeSource).
  it('declares no function the lazy way, so a fresh isolate compiles none of them during its first run', async () => {
    const { guestPreludeSource } = await import('../src/guest-prelude.js');
    expect(guestPreludeSource).toMatch(/const stringifyWithin = \(function stringifyWithin\(/);
    expect(guestPreludeSource.match(/^\s*(async\s+)?function\b/gm) ?? []).toEqual([]);
    expect(guestPreludeSource.match(/=\s*(async\s+)?function\b/g) ?? []).toEqual([]);
  });
});
