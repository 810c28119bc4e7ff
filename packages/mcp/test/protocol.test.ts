// Protocol behaviour against small servers written here with the real SDK (McpServer and the
// low-level Server) over its in-memory transport, handed to createMcpToolset as connected Clients;
// plus owned stdio and HTTP connections that fail, crash or carry headers.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateDeclarations, runCode, ToolError } from '@codecall/core';
import type { Toolset, ToolExecutionContext } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, expect, test } from 'vitest';
import { z } from 'zod';
import { createMcpToolset, McpToolsetError } from '../src/index.js';
import { childProcesses, eventually, fixture } from './helpers.js';

const isolate = createIsolatedVmSandbox();
afterAll(() => isolate.dispose());

async function connected(server: McpServer | Server): Promise<Client> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '1.0.0' });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  return client;
}

function context(signal = new AbortController().signal): ToolExecutionContext {
  return { abortSignal: signal, executionId: 'host', toolCallId: '1' };
}

/** A low-level server whose tools/list is paginated `pageSize` tools at a time. */
function paginatedServer(
  tools: McpTool[],
  pageSize: number,
  cursorFor: (page: number) => string = (page) => `page-${page}`,
  gate: () => Promise<void> = () => Promise.resolve(),
) {
  const listRequests: (string | undefined)[] = [];
  const server = new Server({ name: 'paginated', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const cursor = request.params?.cursor;
    listRequests.push(cursor);
    const page = cursor === undefined ? 0 : Number(/(\d+)$/.exec(cursor)?.[1]);
    const start = page * pageSize;
    const next = start + pageSize < tools.length ? cursorFor(page + 1) : undefined;
    const answer = { tools: tools.slice(start, start + pageSize), ...(next === undefined ? {} : { nextCursor: next }) };
    // The answer is taken before the gate: a held listing answers with the list as it was asked for.
    await gate();
    return answer;
  });
  server.setRequestHandler(CallToolRequestSchema, (request) => ({
    content: [{ type: 'text', text: JSON.stringify({ tool: request.params.name, arguments: request.params.arguments }) }],
  }));
  return { server, listRequests };
}

const names = ['get.weather', 'get_weather', 'get-weather', 'read-file', 'print', '天气查询', 'ok'];
const objectInput = { type: 'object' as const, properties: { city: { type: 'string' } } };

test('tools/list pages are followed; colliding names get deterministic identifiers that reach the right MCP tool', async () => {
  const { server, listRequests } = paginatedServer(
    names.map((name) => ({ name, description: `The ${name} tool.`, inputSchema: objectInput })),
    3,
  );
  const mcp = await createMcpToolset(await connected(server));
  expect(listRequests).toEqual([undefined, 'page-1', 'page-2']);
  const identifiers = Object.fromEntries(mcp.toolset.entries.map((entry) => [entry.name, entry.identifier]));
  expect(identifiers).toEqual({
    'get.weather': 'get_weather_2',
    get_weather: 'get_weather',
    'get-weather': 'get_weather_3',
    'read-file': 'read_file',
    print: 'print_',
    天气查询: '天气查询',
    ok: 'ok',
  });
  const declarations = generateDeclarations(mcp.toolset, { language: 'typescript' });
  expect(declarations).toContain('Tool name: "get.weather".');
  expect(declarations).toContain('declare function get_weather_2(');

  const result = await runCode({
    sandbox: isolate,
    tools: mcp.toolset,
    code: `return [await get_weather_2({ city: 'a' }), await get_weather({}), await get_weather_3({}), await read_file({}), await print_({}), await 天气查询({})].map((value) => value.tool);`,
  });
  expect(result).toMatchObject({ type: 'success', value: ['get.weather', 'get_weather', 'get-weather', 'read-file', 'print', '天气查询'] });
  await mcp.close();
});

test('pagination is bounded: too many pages or a repeated cursor fail with LIST_TOOLS_FAILED', async () => {
  const tools = names.map((name) => ({ name, inputSchema: objectInput }));
  const tooMany = await createMcpToolset(await connected(paginatedServer(tools, 1).server), { maxListPages: 3 }).catch((error: unknown) => error);
  expect(tooMany).toMatchObject({ name: 'McpToolsetError', code: 'LIST_TOOLS_FAILED', message: expect.stringContaining('maxListPages') });
  const looping = paginatedServer(tools, 2, () => 'page-1');
  const repeated = await createMcpToolset(await connected(looping.server)).catch((error: unknown) => error);
  expect(repeated).toMatchObject({ code: 'LIST_TOOLS_FAILED', message: expect.stringContaining('repeated the cursor') });
  // The second page names the cursor it was fetched with: refused before asking again.
  expect(looping.listRequests).toEqual([undefined, 'page-1']);
});

test('list_changed re-lists: new runs see added tools, a run keeps its toolset, calls of removed tools fail as TOOL_FAILED', async () => {
  const server = new McpServer({ name: 'changing', version: '1.0.0' });
  const first = server.registerTool('first', { description: 'The first tool.' }, () => ({ content: [{ type: 'text', text: 'one' }] }));
  server.registerTool('remove-first', { description: 'Removes the tool "first".' }, () => {
    first.remove();
    return { content: [{ type: 'text', text: 'removed' }] };
  });
  const changes: Toolset[] = [];
  const mcp = await createMcpToolset(await connected(server), { onToolsChanged: (toolset) => changes.push(toolset) });
  const before = mcp.toolset;
  expect(before.entries.map((entry) => entry.name)).toEqual(['first', 'remove-first']);

  server.registerTool('second', { description: 'Added later.', inputSchema: { n: z.number() }, outputSchema: { doubled: z.number() } }, ({ n }) => ({
    content: [{ type: 'text', text: String(n * 2) }],
    structuredContent: { doubled: n * 2 },
  }));
  expect(await eventually(() => mcp.toolset.get('second') !== undefined)).toBe(true);
  expect(changes.length).toBeGreaterThan(0);
  expect(before.get('second')).toBeUndefined();
  expect(generateDeclarations(mcp.toolset, { language: 'typescript' })).toContain('declare function second(input: { n: number }): Promise<{ doubled: number }>;');
  const later = await runCode({ sandbox: isolate, tools: mcp.toolset, code: 'return await second({ n: 21 });' });
  expect(later).toMatchObject({ type: 'success', value: { doubled: 42 } });

  // A run that started before "first" was removed still shows it; calling it now fails inside the guest.
  const during = await runCode({
    sandbox: isolate,
    tools: mcp.toolset,
    code: `
      const a = await first({});
      await remove_first({});
      try { await first({}); return 'called'; } catch (error) { return [a, error.code, error.message]; }`,
  });
  expect(during).toMatchObject({ type: 'success', value: ['one', 'TOOL_FAILED', expect.stringContaining('first not found')] });
  expect(await eventually(() => mcp.toolset.get('first') === undefined)).toBe(true);
  await mcp.close();
  // After close the client handed in stays open and codecall no longer follows its list.
  const afterClose = changes.length;
  server.registerTool('third', { description: 'After close.' }, () => ({ content: [] }));
  expect(await mcp.client.listTools()).toMatchObject({ tools: expect.arrayContaining([expect.objectContaining({ name: 'third' })]) });
  expect(changes.length).toBe(afterClose);
  await expect(mcp.refresh()).rejects.toMatchObject({ code: 'TOOLSET_CLOSED' });
});

test('refresh() re-lists on demand; refreshes asked for during a listing share one more listing', async () => {
  let release: () => void = () => {};
  let held = false;
  const gate = () => (held ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve());
  const { server, listRequests } = paginatedServer([{ name: 'only', inputSchema: objectInput }], 10, undefined, gate);
  const mcp = await createMcpToolset(await connected(server), { refreshOnListChanged: false });
  expect(listRequests).toHaveLength(1);
  held = true;
  const first = mcp.refresh();
  expect(await eventually(() => listRequests.length === 2)).toBe(true);
  // Asked for while the first listing runs: it may miss what changed, so one more listing follows, shared by both.
  const second = mcp.refresh();
  const third = mcp.refresh();
  expect(third).toBe(second);
  held = false;
  release();
  const [a, b] = await Promise.all([first, second]);
  expect(a.get('only')).toBeDefined();
  expect(b.get('only')).toBeDefined();
  expect(listRequests).toHaveLength(3);
  expect(mcp.toolset).toBe(b);
  await mcp.close();
});

test('a list change announced during the first listing is not missed', async () => {
  let release: () => void = () => {};
  let held = true;
  const gate = () => (held ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve());
  const tools: McpTool[] = [{ name: 'old', inputSchema: objectInput }];
  const { server, listRequests } = paginatedServer(tools, 10, undefined, gate);
  const pending = createMcpToolset(await connected(server));
  expect(await eventually(() => listRequests.length === 1)).toBe(true);
  tools.push({ name: 'new', inputSchema: objectInput });
  await server.sendToolListChanged();
  held = false;
  release();
  const mcp = await pending;
  expect(await eventually(() => mcp.toolset.get('new') !== undefined)).toBe(true);
  expect(mcp.toolset.get('old')).toBeDefined();
  expect(listRequests).toHaveLength(2);
  await mcp.close();
});

test('a failed re-listing keeps the previous tools and goes to onRefreshError, as does a throwing onToolsChanged', async () => {
  let listings = 0;
  const server = new Server({ name: 'flaky', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, () => {
    listings += 1;
    if (listings === 2) throw new Error('index is rebuilding');
    return { tools: [{ name: `tool_${listings}`, inputSchema: objectInput }] };
  });
  const errors: unknown[] = [];
  const mcp = await createMcpToolset(await connected(server), {
    onRefreshError: (error) => errors.push(error),
    onToolsChanged: () => {
      throw new Error('listener bug');
    },
  });
  const before = mcp.toolset;
  await server.sendToolListChanged();
  expect(await eventually(() => errors.length === 1)).toBe(true);
  expect(errors[0]).toMatchObject({ name: 'McpToolsetError', code: 'LIST_TOOLS_FAILED', message: expect.stringContaining('index is rebuilding') });
  expect(mcp.toolset).toBe(before);
  await server.sendToolListChanged();
  expect(await eventually(() => errors.length === 2)).toBe(true);
  expect(errors[1]).toMatchObject({ message: 'listener bug' });
  expect(mcp.toolset.entries.map((entry) => entry.name)).toEqual(['tool_3']);
  await mcp.close();
});

test('isError results and tool exceptions become TOOL_FAILED with the server text; text is parsed only when it is a JSON object or array', async () => {
  const server = new McpServer({ name: 'errors', version: '1.0.0' });
  server.registerTool('quota', { description: 'Always over quota.' }, () => ({ isError: true, content: [{ type: 'text', text: 'Quota exceeded for key k1.' }] }));
  server.registerTool('throws', { description: 'Throws.' }, () => {
    throw new Error('database is read-only');
  });
  server.registerTool('json-text', { description: 'JSON as text.' }, () => ({ content: [{ type: 'text', text: '  {"items":[1,2]}' }] }));
  server.registerTool('numeric-text', { description: 'A number as text.' }, () => ({ content: [{ type: 'text', text: '00123' }] }));
  server.registerTool('two-texts', { description: 'Two text blocks.' }, () => ({ content: [{ type: 'text', text: 'a' }, { type: 'text', text: '[1]' }] }));
  const mcp = await createMcpToolset(await connected(server));
  const result = await runCode({
    sandbox: isolate,
    tools: mcp.toolset,
    code: `
      const failures = [];
      for (const call of [() => quota({}), () => throws({})]) {
        try { await call(); } catch (error) { failures.push([error.code, error.message]); }
      }
      return { failures, json: await json_text({}), numeric: await numeric_text({}), two: await two_texts({}) };`,
  });
  expect(result).toMatchObject({
    type: 'success',
    value: {
      failures: [
        ['TOOL_FAILED', 'Quota exceeded for key k1.'],
        ['TOOL_FAILED', 'database is read-only'],
      ],
      json: { items: [1, 2] },
      numeric: '00123',
      two: ['a', [1]],
    },
  });
  await mcp.close();
});

test("the call's abortSignal cancels the MCP request; requestTimeoutMs gives TOOL_TIMEOUT", async () => {
  const started: string[] = [];
  const cancelled: string[] = [];
  const server = new McpServer({ name: 'slow', version: '1.0.0' });
  server.registerTool('wait', { description: 'Waits until cancelled.', inputSchema: { label: z.string() } }, ({ label }, extra) =>
    new Promise((resolve) => {
      started.push(label);
      const timer = setTimeout(() => resolve({ content: [{ type: 'text', text: 'late' }] }), 60_000);
      extra.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        cancelled.push(label);
        resolve({ content: [] });
      });
    }),
  );
  const mcp = await createMcpToolset(await connected(server), { requestTimeoutMs: 60_000 });
  const run = await runCode({
    sandbox: isolate,
    tools: mcp.toolset,
    code: `try { await wait({ label: 'run' }); } catch (error) { return error.code; }`,
    limits: { toolTimeoutMs: 300 },
  });
  expect(run).toMatchObject({ type: 'success', value: 'TOOL_TIMEOUT' });
  expect(await eventually(() => cancelled.includes('run'))).toBe(true);

  const controller = new AbortController();
  const pending = mcp.toolset.get('wait')!.tool.execute({ label: 'host' }, context(controller.signal));
  expect(await eventually(() => started.includes('host'))).toBe(true);
  controller.abort(new Error('stop'));
  await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
  expect(await eventually(() => cancelled.includes('host'))).toBe(true);

  const short = await createMcpToolset(mcp.client, { requestTimeoutMs: 200, refreshOnListChanged: false });
  await expect(short.toolset.get('wait')!.tool.execute({ label: 'timeout' }, context())).rejects.toMatchObject({
    name: 'ToolError',
    code: 'TOOL_TIMEOUT',
    message: expect.stringContaining('requestTimeoutMs'),
  });
  await short.close();
  await mcp.close();
});

test('include and needsApproval are decided per MCP tool', async () => {
  const server = new McpServer({ name: 'annotated', version: '1.0.0' });
  server.registerTool('read', { description: 'Reads.', annotations: { readOnlyHint: true } }, () => ({ content: [{ type: 'text', text: 'data' }] }));
  server.registerTool('drop', { description: 'Drops.', annotations: { destructiveHint: true } }, () => ({ content: [{ type: 'text', text: 'dropped' }] }));
  server.registerTool('hidden', { description: 'Hidden.' }, () => ({ content: [] }));
  const mcp = await createMcpToolset(await connected(server), {
    include: (tool) => tool.name !== 'hidden',
    needsApproval: (tool) => tool.annotations?.destructiveHint === true,
  });
  expect(mcp.toolset.entries.map((entry) => entry.name)).toEqual(['read', 'drop']);
  const result = await runCode({
    sandbox: isolate,
    tools: mcp.toolset,
    code: `const out = [await read({})]; try { await drop({}); } catch (error) { out.push(error.code); } return out;`,
    onApproval: () => false,
  });
  expect(result).toMatchObject({ type: 'success', value: ['data', 'DENIED'] });
  await mcp.close();
});

test('a server process that dies mid-call fails that call and later ones with CONNECTION_LOST as the cause', async () => {
  const script = fixture('crashing-server.mjs');
  const mcp = await createMcpToolset({ command: process.execPath, args: [script] });
  expect(childProcesses(script)).toHaveLength(1);
  const result = await runCode({
    sandbox: isolate,
    tools: mcp.toolset,
    code: `try { await crash({}); } catch (error) { return [error.code, error.message]; }`,
  });
  expect(result).toMatchObject({ type: 'success', value: ['TOOL_FAILED', expect.stringContaining('The connection to MCP server "crashing" is lost')] });
  const later = await mcp.toolset.get('ping')!.tool.execute({}, context()).catch((error: unknown) => error);
  expect(ToolError.isInstance(later)).toBe(true);
  expect(McpToolsetError.isInstance((later as Error).cause)).toBe(true);
  expect((later as Error).cause).toMatchObject({ code: 'CONNECTION_LOST', retryable: true });
  await mcp.close();
  expect(await eventually(() => childProcesses(script).length === 0)).toBe(true);
});

test('a server that cannot start fails with CONNECTION_FAILED and the end of its stderr; no process is left', async () => {
  const failing = await createMcpToolset({
    command: process.execPath,
    args: ['-e', 'console.error("boom: MEMORY_TOKEN is not set"); process.exit(2)'],
  }).catch((error: unknown) => error);
  expect(failing).toMatchObject({ name: 'McpToolsetError', code: 'CONNECTION_FAILED', message: expect.stringContaining('boom: MEMORY_TOKEN is not set') });
  const missing = await createMcpToolset({ command: '/nonexistent/mcp-server', args: ['--api-key', 'sk-123', '--token=sk-456', '/data'] }).catch((error: unknown) => error);
  expect(missing).toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringContaining('/nonexistent/mcp-server --api-key … --token=… /data') });
  expect((missing as Error).message).not.toMatch(/sk-/);
  expect(childProcesses('MEMORY_TOKEN')).toEqual([]);
});

test('settings are checked with messages that name the option', async () => {
  const cases: [unknown, unknown, RegExp][] = [
    [{}, {}, /stdio settings \{ command/],
    [{ command: 'node', url: 'http://127.0.0.1:1/mcp' }, {}, /not both command and url/],
    [{ command: '' }, {}, /command must be a non-empty string/],
    [{ url: 'ftp://127.0.0.1/mcp' }, {}, /url must use http: or https:/],
    [{ url: 'not a url' }, {}, /url must be an absolute/],
    [{ command: 'node', stderr: 'pipe' }, {}, /stderr must be 'capture', 'inherit' or 'ignore'/],
    [{ command: 'node' }, { prefix: 'a.b' }, /prefix must be 1 to 64 letters/],
    [{ command: 'node' }, { maxListPages: 0 }, /maxListPages must be a positive integer/],
    [{ command: 'node' }, { include: 'all' }, /include must be a function/],
    [new Client({ name: 'unconnected', version: '1' }), {}, /Client is not connected/],
  ];
  for (const [server, settings, message] of cases) {
    await expect(createMcpToolset(server as never, settings as never)).rejects.toMatchObject({ code: 'INVALID_SETTINGS', message: expect.stringMatching(message) });
  }
});

test('Streamable HTTP settings send their headers with every request', async () => {
  const authorizations: (string | undefined)[] = [];
  const http = createServer((request, response) => {
    authorizations.push(request.headers.authorization);
    const server = new McpServer({ name: 'stateless', version: '1.0.0' });
    server.registerTool('whoami', { description: 'The caller.' }, () => ({ content: [{ type: 'text', text: request.headers.authorization ?? 'nobody' }] }));
    // Without a sessionIdGenerator the server is stateless: a fresh server answers each request.
    const transport = new StreamableHTTPServerTransport({});
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(request, response))
      .catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = http.address() as AddressInfo;
    const mcp = await createMcpToolset(
      { url: `http://127.0.0.1:${port}/mcp`, headers: { Authorization: 'Bearer t0ken' }, transportOptions: { requestInit: { headers: new Headers({ Authorization: 'overridden' }) } } },
    );
    expect(await mcp.toolset.get('whoami')!.tool.execute({}, context())).toBe('Bearer t0ken');
    await mcp.close();
    expect(authorizations.length).toBeGreaterThanOrEqual(3);
    expect(new Set(authorizations)).toEqual(new Set(['Bearer t0ken']));
  } finally {
    await new Promise((resolve) => http.close(resolve));
  }
});
