import { defineTool, generateDeclarations, runCode } from '@codecall/core';
import { afterAll, expect, test } from 'vitest';
import { z } from 'zod';
import { createSubprocessSandbox } from '../src/index.js';

const orders: { id: string; customerId: string; status: string; total: number; items: { sku: string; qty: number }[] }[] = [
  { id: 'o1', customerId: 'c1', status: 'open', total: 120.5, items: [{ sku: 'A', qty: 2 }] },
  { id: 'o2', customerId: 'c1', status: 'closed', total: 80, items: [{ sku: 'B', qty: 1 }, { sku: 'A', qty: 1 }] },
  { id: 'o3', customerId: 'c2', status: 'open', total: 15, items: [] },
];

const searchOrders = defineTool({
  name: 'orders.search',
  description: 'Orders of one customer, optionally by status.',
  input: z.object({ customerId: z.string(), status: z.enum(['open', 'closed']).optional(), limit: z.number().int().optional() }),
  output: z.array(z.object({ id: z.string(), status: z.string(), total: z.number(), items: z.array(z.object({ sku: z.string(), qty: z.number() })) })),
  execute: async ({ customerId, status, limit }) =>
    orders.filter((order) => order.customerId === customerId && (status === undefined || order.status === status)).slice(0, limit ?? 100).map(({ customerId: _, ...order }) => order),
});
const getCustomer = defineTool({
  name: 'get_customer',
  description: 'One customer.',
  input: z.object({ id: z.string() }),
  output: z.object({ id: z.string(), name: z.string(), tags: z.array(z.string()), vip: z.boolean(), note: z.string().nullable() }),
  execute: async ({ id }) => ({ id, name: `Customer ${id}`, tags: ['a', 'b'], vip: id === 'c1', note: null }),
});
const tools = [searchOrders, getCustomer];
const declarations = generateDeclarations(tools, { language: 'python' });

const sandbox = createSubprocessSandbox({ languages: ['python'], launcher: 'jail' });
afterAll(() => sandbox.dispose());

test('the generated declarations are valid Python in the runner, and the names they promise are callable', async () => {
  // validation: false: the check itself needs exec and inspect, which guest code may not use.
  const code = [
    'import ast, inspect',
    `source = ${JSON.stringify(declarations)}`,
    'tree = ast.parse(source)',
    'declared = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]',
    'namespace = {}',
    'exec(compile(source, "declarations.py", "exec"), namespace)',
    'kinds = {name: [p.kind.name for p in inspect.signature(namespace[name]).parameters.values()] for name in declared}',
    'return {"declared": declared, "callable": [callable(globals()[name]) for name in declared], "kinds": kinds}',
  ].join('\n');
  const result = await runCode({ sandbox, tools, language: 'python', code, validation: false });
  expect(result).toMatchObject({
    type: 'success',
    value: {
      declared: ['orders_search', 'get_customer'],
      callable: [true, true],
      kinds: { orders_search: ['POSITIONAL_OR_KEYWORD', 'KEYWORD_ONLY', 'KEYWORD_ONLY'], get_customer: ['POSITIONAL_OR_KEYWORD'] },
    },
  });
});

/** The declarations without the tool stubs: the TypedDict classes of the outputs, runnable as guest code. */
function typedDictsOf(text: string): string {
  const kept: string[] = [];
  let inStub = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('def ')) {
      inStub = !line.endsWith('...') && !line.endsWith('"""');
      continue;
    }
    if (inStub) {
      if (line.trimEnd().endsWith('"""')) inStub = false;
      continue;
    }
    kept.push(line);
  }
  return kept.join('\n');
}

test('model-style code against the declarations: positional, keyword and dict arguments, sync calls and gather, TypedDicts, plain results', async () => {
  const code = [
    typedDictsOf(declarations),
    'import asyncio',
    '',
    'customer = get_customer("c1")',
    'open_orders, all_orders = await asyncio.gather(',
    '    orders_search("c1", status="open"),',
    '    orders_search({"customerId": "c1"}),',
    ')',
    'limited = orders_search(customerId="c1", limit=1, status=None)',
    'skus = sorted({item["sku"] for order in all_orders for item in order["items"]})',
    'kinds = [type(customer).__name__, type(all_orders).__name__, type(all_orders[0]["items"]).__name__, type(customer["note"]).__name__]',
    'print(f"{customer[\'name\']}: {len(all_orders)} orders, {sum(o[\'total\'] for o in all_orders)} total")',
    'result = {"vip": customer["vip"], "open": [o["id"] for o in open_orders], "skus": skus, "kinds": kinds, "limited": len(limited)}',
  ].join('\n');
  const result = await runCode({ sandbox, tools, language: 'python', code });
  expect(result).toMatchObject({
    type: 'success',
    value: { vip: true, open: ['o1'], skus: ['A', 'B'], kinds: ['dict', 'list', 'list', 'NoneType'], limited: 1 },
    stdout: 'Customer c1: 2 orders, 200.5 total\n',
  });
  expect(result.toolCalls.map((call) => call.name)).toStrictEqual(['get_customer', 'orders.search', 'orders.search', 'orders.search']);
  expect(result.toolCalls[3]?.input).toStrictEqual({ customerId: 'c1', limit: 1 });
});

test('a call that breaks the declared input shape raises ToolError INVALID_INPUT at the calling line', async () => {
  const code = ['try:', '    await orders_search({"customerId": 42})', 'except ToolError as error:', '    print(error.code, error.toolName)', 'await orders_search({"status": "open"})'].join('\n');
  const result = await runCode({ sandbox, tools, language: 'python', code });
  expect(result).toMatchObject({ type: 'error', error: { code: 'TOOL_ERROR', toolErrorCode: 'INVALID_INPUT', line: 5 }, stdout: 'INVALID_INPUT orders.search\n' });
});

test('strings with lone surrogates cross the bridge unchanged in both directions', async () => {
  const echo = defineTool({ name: 'echo', description: 'Echoes.', input: z.object({ s: z.string() }), execute: async ({ s }) => ({ s, length: s.length }) });
  const result = await runCode({ sandbox, tools: [echo], language: 'python', code: 'r = await echo({"s": "a\\ud800b"})\nprint("x\\udfffy")\n[r, "c\\udc00"]' });
  expect(result).toMatchObject({ type: 'success', value: [{ s: 'a\ud800b', length: 3 }, 'c\udc00'], stdout: 'x\udfffy\n' });
});
