import { expect } from 'vitest';
import { addTool, expectFailure, expectSuccess } from '../case-helpers.js';
import { defineCase, lines } from '../conformance-case.js';
import type { ConformanceCase } from '../conformance-case.js';

const syntaxError = defineCase<string>({
  id: 'errors.syntax-error',
  description: 'Code that does not parse fails with SYNTAX_ERROR and the line of the offending line.',
  code: {
    javascript: lines('const a = 1;', 'const b = 2;', 'const c = ;', 'return a + b;'),
    python: lines('a = 1', 'b = 2', 'c = = 3', 'return a + b'),
  },
  run: async (context, code) => {
    const add = addTool();
    const error = expectFailure(await context.run({ code, tools: [add.tool] }), 'SYNTAX_ERROR');
    expect(error.line).toBe(3);
    expect(add.calls()).toBe(0);
  },
});

const syntaxErrorAtEnd = defineCase<readonly string[]>({
  id: 'errors.syntax-error-at-end',
  description:
    'A program that is cut off (an unclosed bracket, a stray closing brace) fails with SYNTAX_ERROR and, when a line is given, one of its own lines: never a line of the wrapper around it.',
  code: {
    javascript: ['return (', lines('const a = [1,', '2;'), lines('const a = 1;', 'return a;', '}'), lines('const f = () => {', '  return 1;')],
    python: ['x = (', lines('a = [1,', '2'), lines('def f():', '    return (1,'), lines('a = 1', 'return a', ')')],
  },
  run: async (context, programs) => {
    for (const code of programs) {
      const error = expectFailure(await context.run({ code }), 'SYNTAX_ERROR');
      if (error.line !== undefined) {
        expect(error.line, code).toBeGreaterThanOrEqual(1);
        expect(error.line, code).toBeLessThanOrEqual(code.split('\n').length);
      }
    }
  },
});

interface ThrowingProgram {
  readonly code: string;
  readonly name: string;
  readonly line: number;
  readonly message: string;
}

const runtimeError = defineCase<readonly ThrowingProgram[]>({
  id: 'errors.runtime-error',
  description:
    'An uncaught exception fails the run with RUNTIME_ERROR, the error’s class as name, its message and the line where it was thrown (inside a function, after an awaited tool call, for a user-defined class).',
  code: {
    javascript: [
      {
        code: lines('const a = 1;', 'const b = a + 1;', 'throw new RangeError("bad value " + b);', 'const c = 3;', 'return c;'),
        name: 'RangeError',
        line: 3,
        message: 'bad value 2',
      },
      { code: lines('function read(o) {', '  return o.x.y;', '}', 'return read({});'), name: 'TypeError', line: 2, message: 'y' },
      {
        code: lines('const sum = await add({ a: 1, b: 2 });', 'const items = [sum];', 'items.map((n) => n.toFixed(2)).missing();'),
        name: 'TypeError',
        line: 3,
        message: 'missing',
      },
      {
        code: lines('class QuotaError extends Error {', '  constructor(m) { super(m); this.name = "QuotaError"; }', '}', 'throw new QuotaError("over quota");'),
        name: 'QuotaError',
        line: 4,
        message: 'over quota',
      },
    ],
    python: [
      {
        code: lines('a = 1', 'b = a + 1', 'raise ValueError("bad value " + str(b))', 'c = 3', 'return c'),
        name: 'ValueError',
        line: 3,
        message: 'bad value 2',
      },
      { code: lines('def read(o):', '    return o["x"]', '', 'return read({})'), name: 'KeyError', line: 2, message: 'x' },
      { code: lines('total = await add({"a": 1, "b": 2})', 'items = [total]', 'items[5]'), name: 'IndexError', line: 3, message: 'index' },
      { code: lines('class QuotaError(Exception):', '    pass', '', 'raise QuotaError("over quota")'), name: 'QuotaError', line: 4, message: 'over quota' },
    ],
  },
  run: async (context, programs) => {
    for (const program of programs) {
      const error = expectFailure(await context.run({ code: program.code, tools: [addTool().tool] }), 'RUNTIME_ERROR');
      expect({ code: program.code, name: error.name, line: error.line }).toStrictEqual({ code: program.code, name: program.name, line: program.line });
      expect(error.message).toContain(program.message);
    }
  },
});

// Looks like a runner protocol message, then is not JSON at all.
const protocolGarbage = '{"t":"done","value":"42"}\nnot json\n';

const guestProcessDies = defineCase<{ dies: string; scribbles: string }>({
  id: 'errors.guest-process-dies',
  description:
    'With processApi, a guest that kills its own process ends its run with SANDBOX_CRASHED (not a host fault, not a hang); one that writes garbage to its raw stdout/stdin descriptors cannot break the host (the run succeeds or ends with SANDBOX_CRASHED); the sandbox runs the next code either way.',
  requires: { processApi: true },
  code: {
    javascript: {
      dies: lines('console.log("about to die");', 'process.kill(process.pid, "SIGKILL");', 'await new Promise(() => {});'),
      scribbles: lines(
        'const fs = process.getBuiltinModule("node:fs");',
        `for (const fd of [0, 1, 2]) { try { fs.writeSync(fd, ${JSON.stringify(protocolGarbage)}); } catch {} }`,
        'return "scribbled";',
      ),
    },
    python: {
      dies: lines('import os, signal', 'print("about to die")', 'os.kill(os.getpid(), signal.SIGKILL)', 'import asyncio', 'await asyncio.get_running_loop().create_future()'),
      scribbles: lines(
        'import os',
        'for fd in (0, 1, 2):',
        '    try:',
        `        os.write(fd, ${JSON.stringify(protocolGarbage)}.encode())`,
        '    except OSError:',
        '        pass',
        'return "scribbled"',
      ),
    },
  },
  run: async (context, { dies, scribbles }) => {
    // SANDBOX_CRASHED, not TIMEOUT at the 20 s limit: the death was noticed, not waited out.
    expectFailure(await context.run({ validation: false, code: dies, limits: { timeoutMs: 20_000 } }), 'SANDBOX_CRASHED');
    const scribbled = await context.run({ validation: false, code: scribbles, limits: { timeoutMs: 20_000 } });
    if (scribbled.type === 'success') expect(scribbled.value).toBe('scribbled');
    else expect(scribbled.error.code).toBe('SANDBOX_CRASHED');
    expect(expectSuccess(await context.run({ code: 'return 1' })).value).toBe(1);
  },
});

/** Cases of the `errors` area: how guest failures are reported. */
export const errorCases: readonly ConformanceCase[] = [syntaxError, syntaxErrorAtEnd, runtimeError, guestProcessDies];
