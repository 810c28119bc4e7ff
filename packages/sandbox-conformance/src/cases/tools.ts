import { defineTool } from '@codecall/core';
import { expect } from 'vitest';
import { z } from 'zod';
import { addTool, barrierTool, expectFailure, expectSuccess, failingTool, recordingTool, uniqueToken } from '../case-helpers.js';
import { defineCase, lines } from '../conformance-case.js';
import type { ConformanceCase } from '../conformance-case.js';

const sequential = defineCase<string>({
  id: 'tools.sequential',
  description: 'Awaited calls run one after the other, each with its own input and result, in the trace in order.',
  code: {
    javascript: lines('let total = 0;', 'for (let i = 1; i <= 5; i++) total = await add({ a: total, b: i });', 'return total;'),
    python: lines('total = 0', 'for i in range(1, 6):', '    total = await add({"a": total, "b": i})', 'return total'),
  },
  run: async (context, code) => {
    const add = addTool();
    const result = expectSuccess(await context.run({ code, tools: [add.tool] }));
    expect(result.value).toBe(15);
    expect(add.calls()).toBe(5);
    expect(result.toolCalls.map((call) => call.input)).toStrictEqual([
      { a: 0, b: 1 },
      { a: 1, b: 2 },
      { a: 3, b: 3 },
      { a: 6, b: 4 },
      { a: 10, b: 5 },
    ]);
    expect(result.toolCalls.map((call) => call.output)).toStrictEqual([1, 3, 6, 10, 15]);
  },
});

const parties = 4;

const parallel = defineCase<string>({
  id: 'tools.parallel-concurrent',
  description:
    'Promise.all / asyncio.gather start every call at once: the handlers wait at a barrier that only opens when all 4 calls are in flight (a call fails after 5 s otherwise), and the results come back matched to their calls even when they finish in reverse order.',
  code: {
    javascript: lines(
      'const ids = [0, 1, 2, 3];',
      'return await Promise.all(ids.map((i) => meet({ i, delayMs: (3 - i) * 40 })));',
    ),
    python: lines('import asyncio', 'return list(await asyncio.gather(*[meet({"i": i, "delayMs": (3 - i) * 40}) for i in range(4)]))'),
  },
  run: async (context, code) => {
    const barrier = barrierTool('meet', parties, 5_000);
    const result = expectSuccess(await context.run({ code, tools: [barrier.tool], limits: { timeoutMs: 15_000 } }));
    expect(result.value).toStrictEqual([0, 1, 2, 3]);
    expect(barrier.maxInFlight()).toBe(parties);
    expect(result.toolCalls).toHaveLength(parties);
  },
});

const noArgument = defineCase<string>({
  id: 'tools.no-argument',
  description: 'A call without an argument sends `{}`.',
  code: {
    javascript: lines('const first = await ping();', 'const second = await ping({});', 'return [first, second];'),
    python: lines('first = await ping()', 'second = await ping({})', 'return [first, second]'),
  },
  run: async (context, code) => {
    const ping = recordingTool('ping', (input) => ({ got: input }));
    const result = expectSuccess(await context.run({ code, tools: [ping.tool] }));
    expect(result.value).toStrictEqual([{ got: {} }, { got: {} }]);
    expect(ping.inputs).toStrictEqual([{}, {}]);
    expect(result.toolCalls.map((call) => call.input)).toStrictEqual([{}, {}]);
  },
});

const keywordArguments = defineCase<string>({
  id: 'tools.keyword-arguments',
  description: 'Python: keyword arguments are accepted as the input object (`await add(a=1, b=2)`).',
  code: {
    python: lines('first = await add(a=1, b=2)', 'second = await add(**{"a": 10, "b": 20})', 'return [first, second]'),
  },
  run: async (context, code) => {
    const add = addTool();
    const result = expectSuccess(await context.run({ code, tools: [add.tool] }));
    expect(result.value).toStrictEqual([3, 30]);
    expect(result.toolCalls.map((call) => call.input)).toStrictEqual([
      { a: 1, b: 2 },
      { a: 10, b: 20 },
    ]);
  },
});

const toolFailed = defineCase<string>({
  id: 'tools.tool-failed',
  description:
    "A handler that throws rejects the call in the guest with a catchable ToolError (global class, also an Error/Exception) with code TOOL_FAILED, the handler's message and toolName; nothing of the host error's stack, cause or other properties reaches the guest.",
  code: {
    javascript: lines(
      'try {',
      '  await fail_tool({ x: 1 });',
      '  return "no error";',
      '} catch (e) {',
      '  const props = Object.getOwnPropertyNames(e).map((k) => k + "=" + String(e[k]));',
      '  return {',
      '    isToolError: e instanceof ToolError, isError: e instanceof Error, name: e.name,',
      '    code: e.code, message: e.message, toolName: e.toolName,',
      '    everything: [String(e), String(e.stack), String(e.cause), JSON.stringify(e), ...props].join("\\n"),',
      '  };',
      '}',
    ),
    python: lines(
      'import traceback',
      'try:',
      '    await fail_tool({"x": 1})',
      '    return "no error"',
      'except ToolError as e:',
      '    return {',
      '        "isToolError": True, "isError": isinstance(e, Exception), "name": type(e).__name__,',
      '        "code": e.code, "message": e.message, "toolName": e.toolName,',
      '        "everything": "\\n".join([str(e), repr(e), repr(e.args), repr(vars(e)), repr(e.__cause__), repr(e.__context__), traceback.format_exc()]),',
      '    }',
    ),
  },
  run: async (context, code) => {
    const secret = uniqueToken('HOST_SECRET');
    const failing = failingTool('fail_tool', 'disk full on volume 7', secret);
    const result = expectSuccess(await context.run({ validation: false, code, tools: [failing.tool] }));
    const value = result.value as Record<string, unknown>;
    expect(value).toMatchObject({ isToolError: true, isError: true, name: 'ToolError', code: 'TOOL_FAILED', toolName: 'fail_tool' });
    expect(value.message).toContain('disk full on volume 7');
    expect(failing.calls()).toBe(1);
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(result.toolCalls[0]?.error).toMatchObject({ code: 'TOOL_FAILED' });
  },
});

const invalidInput = defineCase<string>({
  id: 'tools.invalid-input',
  description: 'An input that fails the tool’s zod schema rejects with ToolError INVALID_INPUT naming the field; the handler is not called.',
  code: {
    javascript: lines(
      'try { await add({ a: "one", b: 2 }); return "no error"; }',
      'catch (e) { return { isToolError: e instanceof ToolError, code: e.code, message: e.message }; }',
    ),
    python: lines(
      'try:',
      '    await add({"a": "one", "b": 2})',
      '    return "no error"',
      'except ToolError as e:',
      '    return {"isToolError": True, "code": e.code, "message": e.message}',
    ),
  },
  run: async (context, code) => {
    const add = addTool();
    const result = expectSuccess(await context.run({ code, tools: [add.tool] }));
    expect(result.value).toMatchObject({ isToolError: true, code: 'INVALID_INPUT' });
    expect((result.value as { message: string }).message).toMatch(/\ba\b/);
    expect(add.calls()).toBe(0);
    expect(result.toolCalls[0]?.error?.code).toBe('INVALID_INPUT');
  },
});

const invalidOutput = defineCase<string>({
  id: 'tools.invalid-output',
  description: 'A handler result that fails the tool’s output schema rejects with ToolError INVALID_OUTPUT.',
  code: {
    javascript: 'try { await count({}); return "no error"; } catch (e) { return e instanceof ToolError ? e.code : String(e); }',
    python: lines('try:', '    await count({})', '    return "no error"', 'except ToolError as e:', '    return e.code'),
  },
  run: async (context, code) => {
    const count = defineTool({ name: 'count', input: z.object({}), output: z.number(), execute: () => 'not a number' as unknown as number });
    const result = expectSuccess(await context.run({ code, tools: [count] }));
    expect(result.value).toBe('INVALID_OUTPUT');
  },
});

const undefinedFunction = defineCase<{ code: string; name: string }>({
  id: 'tools.undefined-function',
  description:
    'Calling a tool that is not installed is an ordinary name error of the language (ReferenceError / NameError → RUNTIME_ERROR with the line); installed tools are only those of this run.',
  code: {
    javascript: { code: lines('const a = await add({ a: 1, b: 1 });', 'const b = await not_a_tool({});', 'return b;'), name: 'ReferenceError' },
    python: { code: lines('a = await add({"a": 1, "b": 1})', 'b = await not_a_tool({})', 'return b'), name: 'NameError' },
  },
  run: async (context, { code, name }) => {
    const error = expectFailure(await context.run({ code, tools: [addTool().tool] }), 'RUNTIME_ERROR');
    expect(error).toMatchObject({ name, line: 2 });
    expect(error.message).toContain('not_a_tool');
  },
});

const uncaughtToolError = defineCase<string>({
  id: 'tools.uncaught-tool-error',
  description:
    'An uncaught ToolError ends the run with TOOL_ERROR, name ToolError, its toolErrorCode, its message and the line of the call.',
  code: {
    javascript: lines('const a = await add({ a: 1, b: 2 });', '', 'const b = await fail_tool({});', 'return a + b;'),
    python: lines('a = await add({"a": 1, "b": 2})', '', 'b = await fail_tool({})', 'return a + b'),
  },
  run: async (context, code) => {
    const secret = uniqueToken('HOST_SECRET');
    const result = await context.run({ code, tools: [addTool().tool, failingTool('fail_tool', 'quota exceeded', secret).tool] });
    const error = expectFailure(result, 'TOOL_ERROR');
    expect(error).toMatchObject({ name: 'ToolError', toolErrorCode: 'TOOL_FAILED', line: 3 });
    expect(error.message).toContain('quota exceeded');
    expect(JSON.stringify(result)).not.toContain(secret);
  },
});

const callLimit = defineCase<string>({
  id: 'tools.call-limit',
  description: 'With maxToolCalls 3 the fourth call rejects with a catchable ToolError TOOL_CALL_LIMIT and its handler does not run.',
  code: {
    javascript: lines(
      'const out = [];',
      'for (let i = 0; i < 4; i++) {',
      '  try { out.push(await add({ a: i, b: 10 })); } catch (e) { out.push(e instanceof ToolError ? e.code : String(e)); }',
      '}',
      'return out;',
    ),
    python: lines(
      'out = []',
      'for i in range(4):',
      '    try:',
      '        out.append(await add({"a": i, "b": 10}))',
      '    except ToolError as e:',
      '        out.append(e.code)',
      'return out',
    ),
  },
  run: async (context, code) => {
    const add = addTool();
    const result = expectSuccess(await context.run({ code, tools: [add.tool], limits: { maxToolCalls: 3 } }));
    expect(result.value).toStrictEqual([10, 11, 12, 'TOOL_CALL_LIMIT']);
    expect(add.calls()).toBe(3);
  },
});

const nonIdentifierNames = defineCase<string>({
  id: 'tools.non-identifier-names',
  description:
    'Tools whose names are not identifiers (`github.list-issues`, `requests.get`, `print`) are called by their identifiers (`github_list_issues`, `requests_get`, `print_`) and traced under their names; the language’s own `print`/`console` still work.',
  code: {
    javascript: lines(
      'const issues = await github_list_issues({ repo: "a/b" });',
      'const page = await requests_get({ url: "https://example.test" });',
      'const printed = await print_({ text: "x" });',
      'console.log("ok");',
      'return [issues, page, printed];',
    ),
    python: lines(
      'issues = await github_list_issues({"repo": "a/b"})',
      'page = await requests_get(url="https://example.test")',
      'printed = await print_({"text": "x"})',
      'print("ok")',
      'return [issues, page, printed]',
    ),
  },
  run: async (context, code) => {
    const issues = recordingTool('github.list-issues', () => [{ number: 1 }]);
    const page = recordingTool('requests.get', () => 'page');
    const printTool = recordingTool('print', () => 'printed');
    const result = expectSuccess(await context.run({ code, tools: [issues.tool, page.tool, printTool.tool] }));
    expect(result.value).toStrictEqual([[{ number: 1 }], 'page', 'printed']);
    expect(result.stdout).toBe('ok\n');
    expect(result.toolCalls.map((call) => call.name)).toStrictEqual(['github.list-issues', 'requests.get', 'print']);
    expect(issues.inputs).toStrictEqual([{ repo: 'a/b' }]);
    expect(page.inputs).toStrictEqual([{ url: 'https://example.test' }]);
  },
});

const trace = defineCase<string>({
  id: 'tools.trace',
  description:
    'result.toolCalls records every call in start order with id, name, input, output or error {code, message}, startedAt, offsetMs and durationMs.',
  code: {
    javascript: lines(
      'const slow = await wait({ ms: 60 });',
      'try { await add({ a: "x", b: 1 }); } catch (e) {}',
      'const sum = await add({ a: 2, b: 3 });',
      'return [slow, sum];',
    ),
    python: lines(
      'slow = await wait({"ms": 60})',
      'try:',
      '    await add({"a": "x", "b": 1})',
      'except ToolError:',
      '    pass',
      'total = await add({"a": 2, "b": 3})',
      'return [slow, total]',
    ),
  },
  run: async (context, code) => {
    const wait = defineTool({
      name: 'wait',
      input: z.object({ ms: z.number() }),
      execute: async ({ ms }) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return 'waited';
      },
    });
    const before = Date.now();
    const result = expectSuccess(await context.run({ code, tools: [wait, addTool().tool] }));
    expect(result.value).toStrictEqual(['waited', 5]);
    const calls = result.toolCalls;
    expect(calls).toHaveLength(3);
    expect(calls[0]).toMatchObject({ name: 'wait', input: { ms: 60 }, output: 'waited' });
    expect(calls[0]?.error).toBeUndefined();
    expect(calls[0]?.durationMs).toBeGreaterThanOrEqual(50);
    expect(calls[1]).toMatchObject({ name: 'add', input: { a: 'x', b: 1 }, error: { code: 'INVALID_INPUT' } });
    expect(calls[1]?.output).toBeUndefined();
    expect(calls[1]?.error?.message.length).toBeGreaterThan(0);
    expect(calls[2]).toMatchObject({ name: 'add', input: { a: 2, b: 3 }, output: 5 });
    expect(new Set(calls.map((call) => call.id)).size).toBe(3);
    for (const call of calls) {
      expect(call.startedAt).toBeGreaterThanOrEqual(before - 1);
      expect(call.startedAt).toBeLessThanOrEqual(Date.now());
      expect(call.offsetMs).toBeGreaterThanOrEqual(0);
      expect(call.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(calls[1]!.offsetMs).toBeGreaterThanOrEqual(calls[0]!.offsetMs + 50);
  },
});

/** Cases of the `tools` area: calling host tools from guest code. */
export const toolCases: readonly ConformanceCase[] = [
  sequential,
  parallel,
  noArgument,
  keywordArguments,
  toolFailed,
  invalidInput,
  invalidOutput,
  undefinedFunction,
  uncaughtToolError,
  callLimit,
  nonIdentifierNames,
  trace,
];
