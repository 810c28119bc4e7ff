import type { AnyTool, Toolset } from '@codecall/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { expectTypeOf, test } from 'vitest';
import { createMcpToolset } from './index.js';
import type { McpToolset, McpToolsetSettings } from './index.js';

test('createMcpToolset takes a Client or stdio or HTTP settings and resolves to a disposable toolset', () => {
  expectTypeOf<Client>().toExtend<Parameters<typeof createMcpToolset>[0]>();
  expectTypeOf(createMcpToolset({ command: 'node', args: ['server.js'], env: { A: 'b' }, cwd: '/tmp' })).resolves.toEqualTypeOf<McpToolset>();
  expectTypeOf(createMcpToolset({ url: 'http://127.0.0.1:1/mcp', headers: { authorization: 'Bearer x' } })).resolves.toEqualTypeOf<McpToolset>();
  expectTypeOf<McpToolset['toolset']>().toEqualTypeOf<Toolset>();
  expectTypeOf<McpToolset['tools']>().toEqualTypeOf<readonly AnyTool[]>();
  expectTypeOf<McpToolset>().toExtend<AsyncDisposable>();
  expectTypeOf<NonNullable<McpToolsetSettings['include']>>().parameter(0).toEqualTypeOf<McpTool>();
  // @ts-expect-error -- stderr takes the toolset's modes, not the SDK's stream options
  void createMcpToolset({ command: 'node', stderr: 'pipe' });
});
