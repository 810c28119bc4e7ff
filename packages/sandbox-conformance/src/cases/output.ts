import { expect } from 'vitest';
import { addTool, expectFailure, expectStoppedByAdapter, expectSuccess } from '../case-helpers.js';
import { defineCase, lines } from '../conformance-case.js';
import type { ConformanceCase } from '../conformance-case.js';

const streams = defineCase<{ code: string; stdout: string; stderr: string }>({
  id: 'output.streams',
  description:
    'stdout and stderr are captured separately and in order, before and after awaited tool calls. JavaScript: console.log/info/debug → stdout, console.error/warn → stderr, arguments joined by a space, strings as they are, other values as JSON text (undefined and functions as `undefined`), errors as `Name: message`. Python: print and sys.stdout/sys.stderr as usual.',
  code: {
    javascript: {
      code: lines(
        'console.log("a", 1, { b: [1, "x"] }, [1, 2], null, undefined, true, "str");',
        'console.info("info");',
        'console.debug("debug");',
        'console.error("err", new TypeError("bad"));',
        'const sum = await add({ a: 1, b: 2 });',
        'console.warn("warn", sum);',
        'console.log(() => 1, "é😀");',
        'console.log();',
        'return "done";',
      ),
      stdout: 'a 1 {"b":[1,"x"]} [1,2] null undefined true str\ninfo\ndebug\nundefined é😀\n\n',
      stderr: 'err TypeError: bad\nwarn 3\n',
    },
    python: {
      code: lines(
        'import sys',
        'print("a", 1, {"b": [1, "x"]}, [1, 2], None, True, "str")',
        'print("err", file=sys.stderr)',
        'sys.stdout.write("raw")',
        'sys.stdout.write(" line\\n")',
        'total = await add({"a": 1, "b": 2})',
        'print("sum", total, sep="=", end="!\\n")',
        'sys.stderr.write("warn\\n")',
        'print("é😀")',
        'print()',
        'return "done"',
      ),
      stdout: "a 1 {'b': [1, 'x']} [1, 2] None True str\nraw line\nsum=3!\né😀\n\n",
      stderr: 'err\nwarn\n',
    },
  },
  run: async (context, { code, stdout, stderr }) => {
    const result = expectSuccess(await context.run({ validation: false, code, tools: [addTool().tool] }));
    expect(result.value).toBe('done');
    expect(result.stdout).toBe(stdout);
    expect(result.stderr).toBe(stderr);
    expect(result.outputTruncated).toBe(false);
  },
});

const keptOnError = defineCase<string>({
  id: 'output.kept-on-error',
  description: 'Output written before a run fails is kept in the error result.',
  code: {
    javascript: lines('console.log("before");', 'console.error("also before");', 'throw new Error("boom");'),
    python: lines('import sys', 'print("before")', 'print("also before", file=sys.stderr)', 'raise ValueError("boom")'),
  },
  run: async (context, code) => {
    const result = await context.run({ validation: false, code });
    expectFailure(result, 'RUNTIME_ERROR');
    expect(result.stdout).toBe('before\n');
    expect(result.stderr).toBe('also before\n');
  },
});

const truncation = defineCase<{ flood: string; multibyte: string; expectedPrefix: string }>({
  id: 'output.truncation',
  description:
    'stdout and stderr share maxOutputBytes (UTF-8): past it output is dropped, the result says outputTruncated, the run goes on and returns its value; what is kept is the beginning, and no character is cut in half.',
  code: {
    javascript: {
      flood: lines(
        'for (let i = 0; i < 2000; i++) console.log("line " + i);',
        'console.error("e".repeat(5000));',
        'return 42;',
      ),
      multibyte: lines('for (let i = 0; i < 100; i++) console.log("é😀".repeat(10));', 'return "end";'),
      expectedPrefix: 'line 0\nline 1\nline 2\n',
    },
    python: {
      flood: lines('import sys', 'for i in range(2000):', '    print("line", i)', 'print("e" * 5000, file=sys.stderr)', 'return 42'),
      multibyte: lines('for i in range(100):', '    print("é😀" * 10)', 'return "end"'),
      expectedPrefix: 'line 0\nline 1\nline 2\n',
    },
  },
  run: async (context, { flood, multibyte, expectedPrefix }) => {
    const maxOutputBytes = 1_000;
    const result = expectSuccess(await context.run({ validation: false, code: flood, limits: { maxOutputBytes } }));
    expect(result.value).toBe(42);
    expect(result.outputTruncated).toBe(true);
    expect(Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr)).toBeLessThanOrEqual(maxOutputBytes);
    expect(result.stdout.startsWith(expectedPrefix)).toBe(true);
    const fullStdout = Array.from({ length: 2_000 }, (_, i) => `line ${i}\n`).join('');
    expect(fullStdout.startsWith(result.stdout)).toBe(true);

    const second = expectSuccess(await context.run({ validation: false, code: multibyte, limits: { maxOutputBytes: 1_001 } }));
    expect(second.value).toBe('end');
    expect(second.outputTruncated).toBe(true);
    expect(Buffer.byteLength(second.stdout) + Buffer.byteLength(second.stderr)).toBeLessThanOrEqual(1_001);
    expect(second.stdout).not.toContain('\uFFFD');
    expect(`${'é😀'.repeat(10)}\n`.repeat(100).startsWith(second.stdout)).toBe(true);
    expect(Buffer.byteLength(second.stdout)).toBeGreaterThan(800);
  },
});

const floodUntilTimeout = defineCase<string>({
  id: 'output.flood-until-timeout',
  description:
    'A guest that writes without end is stopped by its time limit (TIMEOUT reported by the adapter, not abandoned by runCode) with at most maxOutputBytes of output kept, the first line whole, and outputTruncated set.',
  code: {
    javascript: lines('const line = "x".repeat(1000);', 'while (true) { console.log(line); console.error(line); }'),
    python: lines('import sys', 'line = "x" * 1000', 'while True:', '    print(line)', '    print(line, file=sys.stderr)'),
  },
  run: async (context, code) => {
    // 3 s: time enough for a slow start on a loaded machine to still write past the 10 kB budget.
    const result = await context.run({ validation: false, code, limits: { timeoutMs: 3_000, maxOutputBytes: 10_000 } });
    expectFailure(result, 'TIMEOUT');
    expectStoppedByAdapter(result);
    expect(result.outputTruncated).toBe(true);
    expect(Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr)).toBeLessThanOrEqual(10_000);
    expect(result.stdout.startsWith('x'.repeat(1_000))).toBe(true);
  },
});

const returnValue = defineCase<readonly (readonly [string, unknown])[]>({
  id: 'output.return-value',
  description:
    'The run value: a top-level return (JavaScript and Python) or, in Python, a final expression statement; returning undefined/None or nothing gives no value; a JavaScript final expression is not a value.',
  code: {
    javascript: [
      ['return 42;', 42],
      ['return { a: [1, "x", null], b: { c: true } };', { a: [1, 'x', null], b: { c: true } }],
      ['return "text";', 'text'],
      ['return null;', null],
      ['return [];', []],
      ['return await Promise.resolve(7);', 7],
      ['const x = 1;', undefined],
      ['return undefined;', undefined],
      ['return;', undefined],
      ['1 + 1;', undefined],
      ['if (true) {\n  return "early";\n}\nreturn "late";', 'early'],
    ],
    python: [
      ['return 42', 42],
      ['return {"a": [1, "x", None], "b": {"c": True}}', { a: [1, 'x', null], b: { c: true } }],
      ['1 + 41', 42],
      ['x = 20\nx * 2 + 2', 42],
      ['async def f():\n    return 7\nawait f()', 7],
      ['"text"', 'text'],
      ['x = 1', undefined],
      ['None', undefined],
      ['return None', undefined],
      ['return', undefined],
      ['print("hi")', undefined],
      ['if True:\n    return "early"\n"late"', 'early'],
    ],
  },
  run: async (context, programs) => {
    for (const [code, expected] of programs) {
      const result = expectSuccess(await context.run({ code }));
      expect({ code, value: result.value }).toStrictEqual({ code, value: expected });
    }
  },
});

/** Cases of the `output` area: captured output, truncation and the run's value. */
export const outputCases: readonly ConformanceCase[] = [streams, keptOnError, truncation, floodUntilTimeout, returnValue];
