import { createToolset, defineTool, jsonSchemaTool } from '@codecall/core';
import type { RunResult } from '@codecall/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { anthropicToolName, findToolByApiName, toAnthropicTools } from './anthropic-tools.js';
import { callersOf, withCallers } from './callers.js';
import { formatRunResult, truncateText } from './code-tool.js';

const search = defineTool({
  name: 'search',
  description: 'Searches.',
  input: z.object({ query: z.string(), limit: z.number().default(10) }),
  execute: () => [],
});
const mail = jsonSchemaTool({ name: 'mail.send', inputSchema: { type: 'object', properties: { to: { type: 'string' } } }, execute: () => 'ok' });

describe('toAnthropicTools', () => {
  it('uses the input-side JSON Schema (defaults optional) and API-safe names', () => {
    const tools = createToolset([search, mail]);
    const [first, second] = toAnthropicTools(tools);
    expect(first).toMatchObject({ name: 'search', description: 'Searches.', input_schema: { type: 'object', required: ['query'] } });
    expect(first!.allowed_callers).toBeUndefined();
    expect(second!.name).toBe(tools.get('mail.send')!.identifier);
    expect(findToolByApiName(tools, second!.name)?.name).toBe('mail.send');
    expect(anthropicToolName(tools.get('search')!)).toBe('search');
  });

  it('applies callers: direct mode drops code-only tools, native mode sets allowed_callers', () => {
    const tools = createToolset([withCallers(search, ['code']), withCallers(mail, ['direct'])]);
    expect(toAnthropicTools(tools).map((tool) => tool.name)).toEqual([tools.get('mail.send')!.identifier]);
    const native = toAnthropicTools(tools, { target: 'native' });
    expect(native.map((tool) => tool.allowed_callers)).toEqual([['code_execution_20260120'], ['direct']]);
    expect(toAnthropicTools(tools, { target: 'native', callers: { search: ['direct', 'code'] }, codeExecutionType: 'code_execution_20250825' })[0]!.allowed_callers).toEqual([
      'direct',
      'code_execution_20250825',
    ]);
    expect(callersOf(search)).toEqual(['direct', 'code']);
    expect(() => withCallers(search, [])).toThrow(TypeError);
  });
});

function run(overrides: Partial<RunResult> & Pick<RunResult, 'type'>): RunResult {
  return { executionId: 'x', stdout: '', stderr: '', outputTruncated: false, toolCalls: [], durationMs: 1, value: undefined, ...overrides } as RunResult;
}

describe('formatRunResult', () => {
  it('shows output, return value and the error with its line', () => {
    expect(formatRunResult(run({ type: 'success', stdout: 'hello\n', value: { n: 1 } }))).toBe('Output:\nhello\nReturn value:\n{"n":1}');
    expect(formatRunResult(run({ type: 'error', error: { code: 'TOOL_ERROR', name: 'ToolError', message: 'nope', line: 3, toolErrorCode: 'DENIED' } }))).toBe(
      'Error: TOOL_ERROR (DENIED) at line 3: ToolError: nope',
    );
    expect(formatRunResult(run({ type: 'success' }))).toBe('(no output, no return value)');
  });

  it('never throws on a value JSON cannot print (nested past the stack, cyclic, BigInt)', () => {
    let deep: unknown = [];
    for (let index = 0; index < 200_000; index++) deep = [deep];
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [deep, cyclic, 1n]) {
      expect(formatRunResult(run({ type: 'success', value }))).toMatch(/^Return value:\n\(a value that cannot be shown as JSON/);
    }
  });

  it('keeps the error and value when output is cut, and stays within the cap', () => {
    const text = formatRunResult(run({ type: 'success', stdout: 'é'.repeat(10_000), value: 7 }), { maxBytes: 500 });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(500);
    expect(text).toMatch(/…\[truncated \d+ of 20\d{3} bytes\]/);
    expect(text.endsWith('Return value:\n7')).toBe(true);
    expect(truncateText('short', 10)).toBe('short');
  });
});
