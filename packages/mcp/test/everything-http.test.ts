// server-everything from npm over Streamable HTTP on 127.0.0.1: the toolset owns the MCP session
// (terminated on close), the server process belongs to the test.
import { runCode, ToolError } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { createSubprocessSandbox } from '@codecall/sandbox-subprocess';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createMcpToolset } from '../src/index.js';
import { startEverythingOverHttp } from './helpers.js';

const isolate = createIsolatedVmSandbox();
const python = createSubprocessSandbox({ languages: ['python'] });
let server: Awaited<ReturnType<typeof startEverythingOverHttp>>;

beforeAll(async () => {
  server = await startEverythingOverHttp();
});
afterAll(async () => {
  await server?.stop();
  await isolate.dispose();
  await python.dispose();
});

test('the server listens on loopback only', () => {
  expect(new URL(server.url).hostname).toBe('127.0.0.1');
});

test('JavaScript in isolated-vm and Python in the jailed subprocess call tools over Streamable HTTP; close() ends the session', async () => {
  const everything = await createMcpToolset({ url: server.url }, { prefix: 'everything' });
  const sessionId = (everything.client.transport as { sessionId?: string } | undefined)?.sessionId;
  expect(sessionId).toEqual(expect.any(String));
  try {
    expect(everything.toolset.get('everything.get-sum')?.identifier).toBe('everything_get_sum');
    const javascript = await runCode({
      sandbox: isolate,
      tools: everything.toolset,
      code: `
        const [sum, weather] = await Promise.all([everything_get_sum({ a: 1, b: 2 }), everything_get_structured_content({ location: 'New York' })]);
        return { sum, weather };`,
      limits: { timeoutMs: 60_000 },
    });
    expect(javascript).toMatchObject({
      type: 'success',
      value: { sum: 'The sum of 1 and 2 is 3.', weather: { temperature: 33, conditions: 'Cloudy', humidity: 82 } },
    });
    const pythonResult = await runCode({
      sandbox: python,
      language: 'python',
      tools: everything.toolset,
      code: 'return everything_echo(message="über HTTP")',
      limits: { timeoutMs: 60_000 },
    });
    expect(pythonResult).toMatchObject({ type: 'success', value: 'Echo: über HTTP' });
  } finally {
    await everything.close();
  }
  // The session is gone on the server: a request that names it is refused.
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId ?? '' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  expect(response.status).toBe(400);
});

test('a server that is not there fails with CONNECTION_FAILED naming the URL without its query', async () => {
  // The test server's port, after the server is stopped, is a port where nothing listens.
  const stopped = await startEverythingOverHttp();
  await stopped.stop();
  const error = await createMcpToolset({ url: `${stopped.url}?token=secret` }, { connectTimeoutMs: 30_000 }).catch((caught: unknown) => caught);
  expect(error).toMatchObject({ name: 'McpToolsetError', code: 'CONNECTION_FAILED', retryable: true });
  expect((error as Error).message).toContain(stopped.url);
  expect((error as Error).message).not.toContain('secret');
});

test('a server that goes away mid-session fails calls with CONNECTION_LOST as the cause; close() still returns', async () => {
  const doomed = await startEverythingOverHttp();
  const everything = await createMcpToolset({ url: doomed.url });
  try {
    await doomed.stop();
    const failure = await everything.toolset.get('echo')!.tool.execute({ message: 'anyone?' }, { abortSignal: new AbortController().signal, executionId: 'host', toolCallId: '1' }).catch((error: unknown) => error);
    expect(ToolError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('is lost') });
    expect((failure as Error).cause).toMatchObject({ name: 'McpToolsetError', code: 'CONNECTION_LOST', retryable: true });
  } finally {
    await everything.close();
  }
});
