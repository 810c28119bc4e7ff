import { expect } from 'vitest';
import { addTool, constantTool, expectFailure, expectSuccess, recordingTool } from '../case-helpers.js';
import { defineCase, lines } from '../conformance-case.js';
import type { ConformanceCase } from '../conformance-case.js';

const isoDate = '2024-01-02T03:04:05.006Z';

const inputJsonSemantics = defineCase<{ code: string; expected: unknown }>({
  id: 'values.input-json-semantics',
  description:
    'A tool input crosses the bridge with JSON semantics: undefined/functions/symbols dropped (null in arrays), NaN/Infinity → null, dates → ISO strings, -0 → 0; in Python tuples → arrays and non-string keys → strings.',
  code: {
    javascript: {
      code: lines(
        'await capture({',
        '  undef: undefined, fn: () => 1, sym: Symbol("s"),',
        '  arr: [undefined, () => 1, Symbol("s"), 1],',
        '  nan: NaN, inf: Infinity, ninf: -Infinity,',
        `  date: new Date(${JSON.stringify(isoDate)}),`,
        '  negZero: -0,',
        '  nested: { list: [{ gone: undefined, kept: null }] },',
        '  text: "x", flag: true, nothing: null,',
        '});',
        'return "sent";',
      ),
      expected: {
        arr: [null, null, null, 1],
        nan: null,
        inf: null,
        ninf: null,
        date: isoDate,
        negZero: 0,
        nested: { list: [{ kept: null }] },
        text: 'x',
        flag: true,
        nothing: null,
      },
    },
    python: {
      code: lines(
        'import datetime',
        'await capture({',
        '    "nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"),',
        '    "date": datetime.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=datetime.timezone.utc),',
        '    "day": datetime.date(2024, 1, 2),',
        '    "negZero": -0.0,',
        '    "tuple": (1, "a", None),',
        '    "keys": {1: "int", 2.5: "float", False: "bool", None: "none"},',
        '    "nested": {"list": [{"kept": None}]},',
        '    "text": "x", "flag": True, "nothing": None,',
        '})',
        'return "sent"',
      ),
      expected: {
        nan: null,
        inf: null,
        ninf: null,
        date: '2024-01-02T03:04:05.006000+00:00',
        day: '2024-01-02',
        negZero: 0,
        tuple: [1, 'a', null],
        keys: { '1': 'int', '2.5': 'float', false: 'bool', null: 'none' },
        nested: { list: [{ kept: null }] },
        text: 'x',
        flag: true,
        nothing: null,
      },
    },
  },
  run: async (context, { code, expected }) => {
    const capture = recordingTool('capture');
    const result = expectSuccess(await context.run({ code, tools: [capture.tool] }));
    expect(result.value).toBe('sent');
    expect(capture.inputs).toHaveLength(1);
    expect(capture.inputs[0]).toStrictEqual(expected);
    expect(Object.is((capture.inputs[0] as { negZero: number }).negZero, -0)).toBe(false);
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]?.input).toStrictEqual(expected);
  },
});

const hostValue = {
  text: 'héllo 😀',
  integer: 7,
  fraction: 1.5,
  negative: -3,
  flag: false,
  nothing: null,
  list: [1, 'two', null, { three: 3 }],
  nested: { deep: { deeper: [true] } },
};

const outputJsonSemantics = defineCase<string>({
  id: 'values.output-json-semantics',
  description:
    'A tool output reaches the guest as its JSON value: plain objects/arrays/strings/numbers of the guest language, with undefined properties dropped, Date → ISO string, NaN → null, -0 → 0.',
  code: {
    javascript: lines(
      'const r = await produce();',
      'return {',
      '  value: r.value,',
      '  keys: Object.keys(r).sort(),',
      '  hasUndef: "undef" in r,',
      '  arr: r.arr,',
      '  date: r.date, dateType: typeof r.date,',
      '  negZeroIsNegative: Object.is(r.negZero, -0),',
      '  types: [typeof r.value.integer, typeof r.value.fraction, typeof r.value.text, Array.isArray(r.value.list)],',
      '};',
    ),
    python: lines(
      'r = await produce()',
      'v = r["value"]',
      'return {',
      '    "value": v,',
      '    "keys": sorted(r.keys()),',
      '    "hasUndef": "undef" in r,',
      '    "arr": r["arr"],',
      '    "date": r["date"], "dateType": type(r["date"]).__name__,',
      '    "negZeroIsNegative": str(r["negZero"]).startswith("-"),',
      '    "types": [type(v["integer"]).__name__, type(v["fraction"]).__name__, type(v["text"]).__name__, type(v["list"]).__name__],',
      '}',
    ),
  },
  run: async (context, code) => {
    const produce = constantTool('produce', () => ({
      value: hostValue,
      undef: undefined,
      arr: [undefined, Number.NaN, Number.POSITIVE_INFINITY],
      date: new Date(isoDate),
      negZero: -0,
    }));
    const result = expectSuccess(await context.run({ code, tools: [produce] }));
    const types = context.language === 'python' ? ['int', 'float', 'str', 'list'] : ['number', 'number', 'string', true];
    expect(result.value).toStrictEqual({
      value: hostValue,
      keys: ['arr', 'date', 'negZero', 'value'],
      hasUndef: false,
      arr: [null, null, null],
      date: isoDate,
      dateType: context.language === 'python' ? 'str' : 'string',
      negZeroIsNegative: false,
      types,
    });
  },
});

const returnJsonSemantics = defineCase<{ code: string; expected: unknown }>({
  id: 'values.return-json-semantics',
  description: 'The return value follows the same JSON rules as tool inputs.',
  code: {
    javascript: {
      code: lines(
        'return {',
        '  undef: undefined, fn() {}, arr: [undefined, NaN, -Infinity, () => 1],',
        `  date: new Date(${JSON.stringify(isoDate)}), negZero: -0, text: "ok",`,
        '};',
      ),
      expected: { arr: [null, null, null, null], date: isoDate, negZero: 0, text: 'ok' },
    },
    python: {
      code: lines(
        'import datetime',
        'return {',
        '    "tuple": (1, 2), "nan": float("nan"), 3: "three",',
        '    "date": datetime.date(2024, 1, 2), "negZero": -0.0, "text": "ok",',
        '}',
      ),
      expected: { tuple: [1, 2], nan: null, '3': 'three', date: '2024-01-02', negZero: 0, text: 'ok' },
    },
  },
  run: async (context, { code, expected }) => {
    const result = expectSuccess(await context.run({ code }));
    expect(result.value).toStrictEqual(expected);
    expect(Object.is((result.value as { negZero: number }).negZero, -0)).toBe(false);
  },
});

const unserializableInput = defineCase<{ code: string; labels: string[] }>({
  id: 'values.unserializable-input',
  description:
    'A tool input JSON cannot express (BigInt, a cycle; in Python also sets, bytes and other objects) rejects in the guest with a catchable ToolError INVALID_INPUT, and the handler is not called.',
  code: {
    javascript: {
      code: lines(
        'const attempts = [',
        '  ["bigint", () => ({ n: 1n })],',
        '  ["nested-bigint", () => ({ list: [1, { n: 2n }] })],',
        '  ["cycle", () => { const a = { x: 1 }; a.self = a; return a; }],',
        '];',
        'const out = [];',
        'for (const [label, make] of attempts) {',
        '  try { await capture(make()); out.push(label + ":no error"); }',
        '  catch (e) { out.push([label, e instanceof ToolError, e.name, e.code, e.toolName].join(":")); }',
        '}',
        'return out;',
      ),
      labels: ['bigint', 'nested-bigint', 'cycle'],
    },
    python: {
      code: lines(
        'a = {"x": 1}',
        'a["self"] = a',
        'attempts = [("set", {"s": {1, 2}}), ("bytes", {"b": b"x"}), ("object", {"o": object()}), ("cycle", a)]',
        'out = []',
        'for label, value in attempts:',
        '    try:',
        '        await capture(value)',
        '        out.append(label + ":no error")',
        '    except ToolError as e:',
        '        out.append(":".join([label, str(isinstance(e, Exception)).lower(), type(e).__name__, e.code, str(e.toolName)]))',
        'return out',
      ),
      labels: ['set', 'bytes', 'object', 'cycle'],
    },
  },
  run: async (context, { code, labels }) => {
    const capture = recordingTool('capture');
    const result = expectSuccess(await context.run({ code, tools: [capture.tool] }));
    expect(result.value).toStrictEqual(labels.map((label) => `${label}:true:ToolError:INVALID_INPUT:capture`));
    expect(capture.inputs).toStrictEqual([]);
  },
});

const unserializableReturn = defineCase<string[]>({
  id: 'values.unserializable-return',
  description: 'Returning a value JSON cannot express fails the run with RUNTIME_ERROR, name TypeError.',
  code: {
    javascript: ['return { n: 10n };', 'const a = {}; a.self = a; return [a];'],
    python: ['return {"s": {1, 2}}', 'a = {}\na["self"] = a\nreturn [a]'],
  },
  run: async (context, programs) => {
    for (const code of programs) {
      const error = expectFailure(await context.run({ code }), 'RUNTIME_ERROR');
      expect(error.name).toBe('TypeError');
    }
  },
});

const unicodeText = 'ascii é ß 中文 😀 𝒳 \u0000 \u2028\u2029 "quotes" \\ \n\t end';

const unicodeRoundTrip = defineCase<string>({
  id: 'values.unicode-round-trip',
  description:
    'Strings with multi-byte and astral characters, NUL, line separators, quotes and backslashes cross the bridge unchanged in both directions, counted as the same code points.',
  code: {
    javascript: lines(
      'const fromHost = await produce();',
      'await capture({ text: fromHost.text, local: "😀𝒳" });',
      'return { same: fromHost.text === fromHost.expected, codePoints: [...fromHost.text].length, text: fromHost.text };',
    ),
    python: lines(
      'from_host = await produce()',
      'await capture({"text": from_host["text"], "local": "😀𝒳"})',
      'return {"same": from_host["text"] == from_host["expected"], "codePoints": len(from_host["text"]), "text": from_host["text"]}',
    ),
  },
  run: async (context, code) => {
    const capture = recordingTool('capture');
    const produce = constantTool('produce', () => ({ text: unicodeText, expected: unicodeText }));
    const result = expectSuccess(await context.run({ code, tools: [produce, capture.tool] }));
    expect(result.value).toStrictEqual({ same: true, codePoints: [...unicodeText].length, text: unicodeText });
    expect(capture.inputs).toStrictEqual([{ text: unicodeText, local: '😀𝒳' }]);
  },
});

const largeAllowed = defineCase<string>({
  id: 'values.large-allowed',
  description: 'Values below maxValueBytes (about 400 kB each way and as the return value) cross intact.',
  code: {
    javascript: lines(
      'const big = await produce();',
      'const echoed = await capture({ big: big.data, items: big.items });',
      'return { length: big.data.length, items: big.items.length, last: big.items[big.items.length - 1], back: "y".repeat(400000) };',
    ),
    python: lines(
      'big = await produce()',
      'await capture({"big": big["data"], "items": big["items"]})',
      'return {"length": len(big["data"]), "items": len(big["items"]), "last": big["items"][-1], "back": "y" * 400000}',
    ),
  },
  run: async (context, code) => {
    const data = 'x'.repeat(300_000);
    const items = Array.from({ length: 10_000 }, (_, i) => ({ i }));
    const capture = recordingTool('capture');
    const produce = constantTool('produce', () => ({ data, items }));
    // About 1 MB crosses the bridge: an adapter that streams it in small pieces needs seconds of CPU,
    // more on a busy machine. The case checks the values, not the speed, so the run gets slack.
    const result = expectSuccess(await context.run({ code, tools: [produce, capture.tool], limits: { maxValueBytes: 1_000_000, timeoutMs: 20_000 } }));
    expect(result.value).toStrictEqual({ length: 300_000, items: 10_000, last: { i: 9_999 }, back: 'y'.repeat(400_000) });
    expect(capture.inputs).toHaveLength(1);
    expect(capture.inputs[0]).toStrictEqual({ big: data, items });
  },
});

const tooLarge = defineCase<{ calls: string; ret: string }>({
  id: 'values.too-large',
  description:
    'With maxValueBytes 10,000: a larger tool input (counted in UTF-8 bytes) or output rejects in the guest with ToolError VALUE_TOO_LARGE (the handler is not called for inputs); a larger return value fails the run with OUTPUT_LIMIT.',
  code: {
    javascript: {
      calls: lines(
        'const out = [];',
        'for (const make of [() => "x".repeat(20000), () => "é".repeat(6000)]) {',
        '  try { await capture({ s: make() }); out.push("no error"); } catch (e) { out.push(e instanceof ToolError ? e.code : String(e)); }',
        '}',
        'try { await produce(); out.push("no error"); } catch (e) { out.push(e instanceof ToolError ? e.code : String(e)); }',
        'out.push((await capture({ s: "x".repeat(1000) })).ok);',
        'return out;',
      ),
      ret: 'return "x".repeat(20000);',
    },
    python: {
      calls: lines(
        'out = []',
        'for s in ["x" * 20000, "é" * 6000]:',
        '    try:',
        '        await capture({"s": s})',
        '        out.append("no error")',
        '    except ToolError as e:',
        '        out.append(e.code)',
        'try:',
        '    await produce()',
        '    out.append("no error")',
        'except ToolError as e:',
        '    out.append(e.code)',
        'out.append((await capture({"s": "x" * 1000}))["ok"])',
        'return out',
      ),
      ret: 'return "x" * 20000',
    },
  },
  run: async (context, { calls, ret }) => {
    const capture = recordingTool('capture');
    const produce = constantTool('produce', () => 'z'.repeat(20_000));
    const limits = { maxValueBytes: 10_000 };
    const result = expectSuccess(await context.run({ code: calls, tools: [capture.tool, produce], limits }));
    expect(result.value).toStrictEqual(['VALUE_TOO_LARGE', 'VALUE_TOO_LARGE', 'VALUE_TOO_LARGE', true]);
    expect(capture.inputs).toStrictEqual([{ s: 'x'.repeat(1_000) }]);
    expectFailure(await context.run({ code: ret, limits }), 'OUTPUT_LIMIT');
  },
});

const exponentialGraph = defineCase<{ input: string; ret: string }>({
  id: 'values.exponential-graph',
  description:
    'A small object graph with shared references that expands to 2^40 nodes fails fast with VALUE_TOO_LARGE as a tool input and with OUTPUT_LIMIT as the return value: size is budgeted while serializing, not after.',
  code: {
    javascript: {
      input: lines(
        'let node = { leaf: "xxxxxxxxxx" };',
        'for (let i = 0; i < 40; i++) node = { a: node, b: node };',
        'try { await capture({ node }); return "no error"; } catch (e) { return e instanceof ToolError ? e.code : String(e); }',
      ),
      ret: lines('let node = { leaf: "xxxxxxxxxx" };', 'for (let i = 0; i < 40; i++) node = { a: node, b: node };', 'return node;'),
    },
    python: {
      input: lines(
        'node = {"leaf": "xxxxxxxxxx"}',
        'for i in range(40):',
        '    node = {"a": node, "b": node}',
        'try:',
        '    await capture({"node": node})',
        '    return "no error"',
        'except ToolError as e:',
        '    return e.code',
      ),
      ret: lines('node = {"leaf": "xxxxxxxxxx"}', 'for i in range(40):', '    node = {"a": node, "b": node}', 'return node'),
    },
  },
  run: async (context, { input, ret }) => {
    const capture = recordingTool('capture');
    const limits = { maxValueBytes: 1_000_000, timeoutMs: 20_000 };
    const result = expectSuccess(await context.run({ code: input, tools: [capture.tool], limits }));
    expect(result.value).toBe('VALUE_TOO_LARGE');
    expect(capture.inputs).toStrictEqual([]);
    // OUTPUT_LIMIT, not TIMEOUT at the 20 s limit: the serializer stopped at the budget.
    expectFailure(await context.run({ code: ret, limits }), 'OUTPUT_LIMIT');
  },
});

const toolInputSeesGuestValues = defineCase<string>({
  id: 'values.tool-result-usable',
  description: 'Tool results are ordinary guest values: they can be mutated, spread, compared and sent back as input.',
  code: {
    javascript: lines(
      'const r = await add({ a: 1, b: 2 });',
      'const o = await produce();',
      'o.extra = r; o.list.push(4);',
      'const copy = { ...o, list: [...o.list] };',
      'const again = await add({ a: copy.extra, b: copy.list.length });',
      'return { again, keys: Object.keys(copy).sort(), json: JSON.stringify(o.list) };',
    ),
    python: lines(
      'r = await add({"a": 1, "b": 2})',
      'o = await produce()',
      'o["extra"] = r',
      'o["list"].append(4)',
      'copy = {**o, "list": list(o["list"])}',
      'again = await add({"a": copy["extra"], "b": len(copy["list"])})',
      'import json',
      'return {"again": again, "keys": sorted(copy.keys()), "json": json.dumps(o["list"], separators=(",", ":"))}',
    ),
  },
  run: async (context, code) => {
    const add = addTool();
    const produce = constantTool('produce', () => ({ list: [1, 2, 3] }));
    const result = expectSuccess(await context.run({ code, tools: [add.tool, produce] }));
    expect(result.value).toStrictEqual({ again: 7, keys: ['extra', 'list'], json: '[1,2,3,4]' });
    expect(add.calls()).toBe(2);
  },
});

const deepNesting = defineCase<{ input: string; ret: string; abyss: string }>({
  id: 'values.deep-nesting',
  description:
    'Values may nest at most maxValueDepth (256) levels, checked on the host: a tool input 500 levels deep rejects in the guest with a catchable ToolError INVALID_INPUT (the handler is not called), a return value 500 deep ends the run with OUTPUT_LIMIT, and one 100,000 deep ends it with an error result; the host survives and the sandbox runs the next code.',
  code: {
    javascript: {
      input: lines('let deep = [];', 'for (let i = 0; i < 500; i++) deep = [deep];', 'try {', '  await capture({ deep });', '  return "sent";', '} catch (error) {', '  return error instanceof ToolError ? error.code : String(error);', '}'),
      ret: lines('let deep = [];', 'for (let i = 0; i < 500; i++) deep = [deep];', 'return deep;'),
      abyss: lines('let deep = [];', 'for (let i = 0; i < 100000; i++) deep = [deep];', 'return deep;'),
    },
    python: {
      input: lines('deep = []', 'for i in range(500):', '    deep = [deep]', 'try:', '    await capture({"deep": deep})', '    return "sent"', 'except ToolError as e:', '    return e.code'),
      ret: lines('deep = []', 'for i in range(500):', '    deep = [deep]', 'return deep'),
      abyss: lines('deep = []', 'for i in range(100000):', '    deep = [deep]', 'return deep'),
    },
  },
  run: async (context, { input, ret, abyss }) => {
    const capture = recordingTool('capture');
    const sent = expectSuccess(await context.run({ code: input, tools: [capture.tool], validation: false }));
    expect(sent.value).toBe('INVALID_INPUT');
    expect(capture.inputs).toStrictEqual([]);
    expectFailure(await context.run({ code: ret, validation: false }), 'OUTPUT_LIMIT');
    const deepest = await context.run({ code: abyss, validation: false, limits: { timeoutMs: 20_000 } });
    expect(deepest.type).toBe('error');
    expect(() => JSON.stringify(deepest)).not.toThrow();
    expect(expectSuccess(await context.run({ code: 'return 1' })).value).toBe(1);
  },
});

/** Cases of the `values` area: what JSON values crossing the bridge become. */
export const valueCases: readonly ConformanceCase[] = [
  inputJsonSemantics,
  outputJsonSemantics,
  returnJsonSemantics,
  unserializableInput,
  unserializableReturn,
  unicodeRoundTrip,
  largeAllowed,
  tooLarge,
  exponentialGraph,
  toolInputSeesGuestValues,
  deepNesting,
];
