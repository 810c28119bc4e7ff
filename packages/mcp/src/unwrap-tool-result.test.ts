import { ToolError } from '@codecall/core';
import { expect, test } from 'vitest';
import { unwrapToolResult } from './unwrap-tool-result.js';

test('structuredContent wins over the text that mirrors it', () => {
  expect(unwrapToolResult({ content: [{ type: 'text', text: 'ignored' }], structuredContent: { a: 1 } })).toEqual({ a: 1 });
});

test('one text block: a JSON object or array is parsed, anything else stays text', () => {
  expect(unwrapToolResult({ content: [{ type: 'text', text: '\n [1, {"b": null}]' }] })).toEqual([1, { b: null }]);
  expect(unwrapToolResult({ content: [{ type: 'text', text: '{not json' }] })).toBe('{not json');
  for (const text of ['42', 'true', 'null', '"quoted"', '']) expect(unwrapToolResult({ content: [{ type: 'text', text }] })).toBe(text);
});

test('no content is null; several text blocks are an array of their values', () => {
  expect(unwrapToolResult({ content: [] })).toBeNull();
  expect(unwrapToolResult({ content: [{ type: 'text', text: 'a' }, { type: 'text', text: '{"b":2}' }] })).toEqual(['a', { b: 2 }]);
});

test('other content is the list of MCP blocks without _meta and annotations', () => {
  const value = unwrapToolResult({
    content: [
      { type: 'text', text: 'see', annotations: { audience: ['user'] } },
      { type: 'resource', resource: { uri: 'file:///a.txt', mimeType: 'text/plain', text: 'A' }, _meta: { x: 1 } },
      { type: 'resource_link', uri: 'file:///b.txt', name: 'b.txt' },
    ],
  });
  expect(value).toEqual([
    { type: 'text', text: 'see' },
    { type: 'resource', resource: { uri: 'file:///a.txt', mimeType: 'text/plain', text: 'A' } },
    { type: 'resource_link', uri: 'file:///b.txt', name: 'b.txt' },
  ]);
});

test('isError throws TOOL_FAILED with the text, a fallback message, or a cut message', () => {
  const caught = (run: () => unknown): ToolError => {
    try {
      run();
    } catch (error) {
      if (ToolError.isInstance(error)) return error;
    }
    throw new Error('expected a ToolError');
  };
  const plain = caught(() => unwrapToolResult({ isError: true, content: [{ type: 'text', text: 'no such city' }], structuredContent: { a: 1 } }, 'weather'));
  expect(plain).toMatchObject({ code: 'TOOL_FAILED', message: 'no such city', toolName: 'weather' });
  expect(caught(() => unwrapToolResult({ isError: true, content: [] }, 'weather')).message).toBe('MCP tool "weather" reported an error without a text message.');
  const long = caught(() => unwrapToolResult({ isError: true, content: [{ type: 'text', text: 'x'.repeat(10_000) }] }));
  expect(long.message).toHaveLength(4_001);
  expect(long.message.endsWith('…')).toBe(true);
});
