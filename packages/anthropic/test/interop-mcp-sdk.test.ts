// mcpTools from the Anthropic SDK over a real MCP client and server (@modelcontextprotocol/sdk,
// linked in memory): the tools the SDK helper wraps become codecall tools that code calls in an
// isolate, and each call reaches the server's handler with the validated input.
import { mcpTools } from '@anthropic-ai/sdk/helpers/beta/mcp';
import type { MCPClientLike } from '@anthropic-ai/sdk/helpers/beta/mcp';
import { createToolset, runCode } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { fromAnthropicTools } from '../src/index.js';

const sandbox = createIsolatedVmSandbox();
const server = new McpServer({ name: 'stock', version: '1.0.0' });
const received: unknown[] = [];
const client = new Client({ name: 'codecall-test', version: '1.0.0' });

server.registerTool(
  'stock-level',
  { description: 'Units in stock of one product.', inputSchema: { sku: z.string().regex(/^[A-Z]{3}-\d+$/) } },
  ({ sku }) => {
    received.push(sku);
    return { content: [{ type: 'text', text: JSON.stringify({ sku, units: sku.length * 10 }) }] };
  },
);
server.registerTool('discontinued', { description: 'Always fails.' }, () => ({ isError: true, content: [{ type: 'text', text: 'Product line closed.' }] }));

beforeAll(async () => {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
});
afterAll(async () => {
  await client.close();
  await server.close();
  await sandbox.dispose();
});

it('turns the SDK helper mcpTools over a real MCP client into tools that code calls', async () => {
  const { tools: listed } = await client.listTools();
  // The MCP SDK 1.32 Client's callTool result type also allows the legacy `{ toolResult }` shape, which
  // the Anthropic SDK's MCPClientLike (1.12–1.16) does not: the same cast an application needs.
  const tools = createToolset(fromAnthropicTools(mcpTools(listed, client as unknown as MCPClientLike)));
  expect(tools.entries.map((entry) => entry.identifier)).toEqual(['stock_level', 'discontinued']);

  const result = await runCode({
    sandbox,
    tools,
    code: `
      const levels = await Promise.all(['ABC-1', 'XYZ-22'].map((sku) => stock_level({ sku })));
      const failures = [];
      for (const call of [() => stock_level({ sku: 'lowercase' }), () => discontinued({})]) {
        try { await call(); } catch (error) { failures.push(error.code); }
      }
      return { levels, failures };`,
  });
  expect(result.type, JSON.stringify(result)).toBe('success');
  if (result.type !== 'success') return;
  const { levels, failures } = result.value as { levels: unknown[]; failures: string[] };
  // The server's JSON text comes back as the value.
  expect(levels).toEqual([{ sku: 'ABC-1', units: 50 }, { sku: 'XYZ-22', units: 60 }]);
  // The invalid sku never reached the server: the input schema was checked on the host first.
  expect(received).toEqual(['ABC-1', 'XYZ-22']);
  expect(failures).toEqual(['INVALID_INPUT', 'TOOL_FAILED']);
});
