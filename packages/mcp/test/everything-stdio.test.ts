// server-everything from npm over stdio: tools called by their identifiers from JavaScript in
// isolated-vm and from Python in the jailed subprocess, with the MCP names kept in declarations.
import { generateDeclarations, runCode } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { createSubprocessSandbox } from '@codecall/sandbox-subprocess';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createMcpToolset } from '../src/index.js';
import type { McpToolset } from '../src/index.js';
import { childProcesses, eventually, serverBin } from './helpers.js';

const bin = serverBin('server-everything');
const isolate = createIsolatedVmSandbox();
const python = createSubprocessSandbox({ languages: ['python'] });
let everything: McpToolset;

beforeAll(async () => {
  everything = await createMcpToolset({ command: process.execPath, args: [bin] });
});
afterAll(async () => {
  await everything?.close();
  await isolate.dispose();
  await python.dispose();
});

test('tools are called by identifiers; the declarations show them beside the MCP names and type outputs from outputSchema', () => {
  const entries = new Map(everything.toolset.entries.map((entry) => [entry.name, entry.identifier]));
  expect(entries.get('echo')).toBe('echo');
  expect(entries.get('get-sum')).toBe('get_sum');
  expect(entries.get('get-structured-content')).toBe('get_structured_content');
  // A task-only tool cannot be called with tools/call; it is reported, not offered.
  expect(entries.has('simulate-research-query')).toBe(false);
  expect(everything.skippedTools).toContainEqual({ name: 'simulate-research-query', reason: expect.stringContaining('MCP task') });
  expect(everything.serverInfo?.name).toBe('mcp-servers/everything');

  const typescript = generateDeclarations(everything.toolset, { language: 'typescript' });
  expect(typescript).toContain('declare function get_sum(');
  expect(typescript).toContain('Tool name: "get-sum".');
  expect(typescript).toMatch(/declare function get_structured_content\([^)]*\): Promise<\{[^}]*temperature: number;/s);
  const pythonText = generateDeclarations(everything.toolset, { language: 'python' });
  expect(pythonText).toContain('def get_sum(');
  expect(pythonText).toContain('get-sum');
});

test('JavaScript in isolated-vm calls the server: text, JSON-less text, structured content, parallel calls', async () => {
  const result = await runCode({
    sandbox: isolate,
    tools: everything.toolset,
    code: `
      const sum = await get_sum({ a: 2, b: 3 });
      const weather = await get_structured_content({ location: 'Chicago' });
      const echoes = await Promise.all(['one', 'two', 'three'].map((message) => echo({ message })));
      return { sum, weather, echoes };`,
    limits: { timeoutMs: 60_000 },
  });
  expect(result).toMatchObject({
    type: 'success',
    value: {
      sum: 'The sum of 2 and 3 is 5.',
      weather: { temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 },
      echoes: ['Echo: one', 'Echo: two', 'Echo: three'],
    },
  });
  expect(result.toolCalls.map((call) => call.name)).toEqual(['get-sum', 'get-structured-content', 'echo', 'echo', 'echo']);
});

test('Python in the jailed subprocess calls the same tools, synchronously and with await', async () => {
  const result = await runCode({
    sandbox: python,
    language: 'python',
    tools: everything.toolset,
    code: `
weather = get_structured_content(location="Los Angeles")
total = await get_sum(a=40, b=2)
result = {"conditions": weather["conditions"], "humidity": weather["humidity"], "sum": total}`,
    limits: { timeoutMs: 60_000 },
  });
  expect(result).toMatchObject({ type: 'success', value: { conditions: 'Sunny / Clear', humidity: 48, sum: 'The sum of 40 and 2 is 42.' } });
});

test('image content comes back as MCP content blocks; input the schema refuses never reaches the server', async () => {
  const result = await runCode({
    sandbox: isolate,
    tools: everything.toolset,
    code: `
      const blocks = await get_tiny_image({});
      let refused;
      try { await get_structured_content({ location: 'Paris' }); } catch (error) { refused = error.code; }
      return { types: blocks.map((block) => block.type), image: blocks.find((block) => block.type === 'image'), refused };`,
    limits: { timeoutMs: 60_000 },
  });
  expect(result.type).toBe('success');
  const value = (result as { value: { types: string[]; image: { mimeType: string; data: string }; refused: string } }).value;
  expect(value.types).toContain('image');
  expect(value.types).toContain('text');
  expect(value.image.mimeType).toBe('image/png');
  expect(Buffer.from(value.image.data, 'base64').subarray(1, 4).toString('latin1')).toBe('PNG');
  expect(value.refused).toBe('INVALID_INPUT');
  expect(result.toolCalls[1]?.error?.code).toBe('INVALID_INPUT');
});

test('close() and Symbol.asyncDispose stop the server process', async () => {
  // The explicit 'stdio' argument tells these servers apart from the shared one above.
  const needle = `${bin}\0stdio`;
  for (const dispose of ['close', 'asyncDispose'] as const) {
    const own = await createMcpToolset({ command: process.execPath, args: [bin, 'stdio'] });
    expect(childProcesses(needle)).toHaveLength(1);
    await (dispose === 'close' ? own.close() : own[Symbol.asyncDispose]());
    expect(own.closed).toBe(true);
    expect(await eventually(() => childProcesses(needle).length === 0)).toBe(true);
    // Calls through tools of a closed toolset fail as tool errors, not host crashes.
    const result = await runCode({ sandbox: isolate, tools: own.toolset, code: 'try { await echo({ message: "x" }); } catch (error) { return [error.code, error.message]; }' });
    expect(result).toMatchObject({ type: 'success', value: ['TOOL_FAILED', expect.stringContaining('is closed')] });
    await own.close();
  }
});
