import { expect } from 'vitest';
import { addTool, barrierTool, expectFailure, expectSuccess } from '../case-helpers.js';
import { defineCase, lines } from '../conformance-case.js';
import type { ConformanceCase } from '../conformance-case.js';

// Python as people already write it (docs/guest-contract.md): tools called without `await`,
// positional and keyword arguments, a top-level `result`; and code validation, in every language.

const syncCalls = defineCase<string>({
  id: 'tools.sync-calls',
  description:
    'Python calls a tool without `await` and gets its value: in a loop, in a generator expression, in a helper function, mixed with awaited calls; `asyncio.gather` in the same program stays concurrent (4 calls meet at a barrier). Every call is in the trace.',
  code: {
    python: lines(
      'import asyncio',
      'total = 0',
      'for i in range(1, 4):',
      '    total = add(total, i)',
      'ok = all(add(a=i, b=0) == i for i in range(3))',
      'def double(x):',
      '    return add({"a": x, "b": x})',
      'met = await asyncio.gather(*[meet({"i": i, "delayMs": (3 - i) * 20}) for i in range(4)])',
      'awaited = await add(1, 1)',
      'return {"total": total, "ok": ok, "double": double(5), "met": list(met), "awaited": awaited}',
    ),
  },
  run: async (context, code) => {
    const add = addTool();
    const barrier = barrierTool('meet', 4, 5_000);
    const result = expectSuccess(await context.run({ code, tools: [add.tool, barrier.tool], limits: { timeoutMs: 15_000 } }));
    expect(result.value).toStrictEqual({ total: 6, ok: true, double: 10, met: [0, 1, 2, 3], awaited: 2 });
    expect(barrier.maxInFlight()).toBe(4);
    expect(add.calls()).toBe(8);
    expect(result.toolCalls).toHaveLength(12);
    expect(result.toolCalls.slice(0, 3).map((call) => call.input)).toStrictEqual([
      { a: 0, b: 1 },
      { a: 1, b: 2 },
      { a: 3, b: 3 },
    ]);
  },
});

const positionalArguments = defineCase<string>({
  id: 'tools.positional-arguments',
  description:
    'Python maps positional arguments onto the input schema\'s required properties in order, takes keywords and one dict; a mismatch is a TypeError naming the tool and its parameters, raised before any call reaches the host.',
  code: {
    python: lines(
      'errors = []',
      'for attempt in (lambda: add(1, 2, 3), lambda: add(1, c=2), lambda: add(1), lambda: add(1, a=2)):',
      '    try:',
      '        attempt()',
      '    except TypeError as error:',
      '        errors.append(str(error))',
      'return {"values": [add(1, 2), add(1, b=2), add(a=1, b=2), add({"a": 1, "b": 2})], "errors": errors}',
    ),
  },
  run: async (context, code) => {
    const add = addTool();
    const result = expectSuccess(await context.run({ code, tools: [add.tool] }));
    const value = result.value as { values: number[]; errors: string[] };
    expect(value.values).toStrictEqual([3, 3, 3, 3]);
    expect(value.errors).toHaveLength(4);
    for (const message of value.errors) expect(message).toContain('add(a, b)');
    expect(value.errors[0]).toMatch(/takes 2 positional/);
    expect(value.errors[1]).toMatch(/unexpected keyword argument 'c'/);
    expect(value.errors[2]).toMatch(/missing 1 required argument/);
    expect(value.errors[3]).toMatch(/multiple values for argument 'a'/);
    expect(add.calls()).toBe(4);
  },
});

const resultVariable = defineCase<{ readonly code: string; readonly expected: unknown }[]>({
  id: 'values.result-variable',
  description:
    'A Python program that does not return and has no final expression value gives its top-level `result`; a `return` wins over it, and so does a final expression with a value.',
  code: {
    python: [
      { code: lines('total = add(1, 2)', 'result = {"total": total}'), expected: { total: 3 } },
      { code: lines('result = 1', 'print("done")'), expected: 1 },
      { code: lines('result = 1', 'return 2'), expected: 2 },
      { code: lines('result = 1', '3'), expected: 3 },
      { code: lines('def f():', '    result = 5', '    return result', 'f()', 'print("nothing")'), expected: undefined },
    ],
  },
  run: async (context, programs) => {
    const add = addTool();
    for (const { code, expected } of programs) {
      const result = expectSuccess(await context.run({ code, tools: [add.tool] }));
      expect({ code, value: result.value }).toStrictEqual({ code, value: expected });
    }
  },
});

const validation = defineCase<{ readonly code: string; readonly line: number; readonly name: string }>({
  id: 'errors.validation',
  description:
    'Code the default validation policy refuses ends with VALIDATION_ERROR, the rule, the name and the line, and never starts: no output, no tool call, even from the lines before the refused one. The same code runs with validation: false.',
  code: {
    javascript: { code: lines('console.log("started");', 'await add({ a: 1, b: 2 });', 'const child = require("child_process");', 'return typeof child;'), line: 3, name: 'require' },
    python: { code: lines('print("started")', 'add(1, 2)', 'os = __import__("os")', 'return type(os).__name__'), line: 3, name: '__import__' },
  },
  run: async (context, { code, line, name }) => {
    const add = addTool();
    const refused = await context.run({ code, tools: [add.tool] });
    const error = expectFailure(refused, 'VALIDATION_ERROR');
    expect(error).toMatchObject({ line, validation: { rule: 'forbidden-name', name } });
    expect(error.message).toMatch(new RegExp(`^Forbidden name: ${name} at line ${line}`));
    expect(refused.stdout).toBe('');
    expect(refused.toolCalls).toHaveLength(0);
    expect(add.calls()).toBe(0);
    // Without the validator the program runs: the sandbox alone decides what it may do.
    const unchecked = await context.run({ code, tools: [add.tool], validation: false });
    expect(unchecked.stdout).toBe('started\n');
    expect(add.calls()).toBe(1);
  },
});

/** Cases of Python as people already write it, and of code validation. */
export const pythonStyleCases: readonly ConformanceCase[] = [syncCalls, positionalArguments, resultVariable, validation];
