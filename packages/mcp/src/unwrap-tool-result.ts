import { ToolError } from '@codecall/core';
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';

/** Longest error message taken from an `isError` result; the rest is cut and marked with `…`. */
const maxErrorMessageLength = 4_000;

function isJsonText(text: string): boolean {
  const start = text.trimStart()[0];
  return start === '{' || start === '[';
}

function parseText(text: string): unknown {
  if (!isJsonText(text)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function withoutMeta(block: ContentBlock): unknown {
  // `_meta` is protocol bookkeeping and `annotations` are hints for a client UI, not data for code.
  const { _meta, annotations, ...rest } = block;
  void _meta;
  void annotations;
  return rest;
}

/**
 * Turns an MCP `tools/call` result into the value guest code receives:
 * 1. `isError: true` throws `ToolError('TOOL_FAILED')` whose message is the result's text
 *    (text blocks joined by newlines, at most 4,000 characters);
 * 2. `structuredContent`, when present, is the value (it is what the tool's `outputSchema` describes);
 * 3. when every content block is text: one block gives its text, parsed when it is a JSON object or
 *    array (other text, such as `42` or `true`, stays a string); several blocks give an array of
 *    those values; no block at all gives `null`;
 * 4. any other content (images, audio, embedded resources, resource links, mixed) gives the array of
 *    content blocks as MCP defines them (`{ type: 'image', data, mimeType }`, …), without `_meta`
 *    and `annotations`.
 *
 * @example
 * ```ts
 * unwrapToolResult({ content: [{ type: 'text', text: '{"sum":3}' }] }); // { sum: 3 }
 * unwrapToolResult({ content: [{ type: 'text', text: 'done' }] });       // 'done'
 * ```
 */
export function unwrapToolResult(result: CallToolResult, toolName?: string): unknown {
  const content: readonly ContentBlock[] = Array.isArray(result.content) ? result.content : [];
  if (result.isError === true) {
    let message = content
      .filter((block): block is Extract<ContentBlock, { type: 'text' }> => block.type === 'text')
      .map((block) => block.text)
      .join('\n')
      .trim();
    if (message.length === 0) message = `MCP tool ${toolName === undefined ? '' : `"${toolName}" `}reported an error without a text message.`;
    if (message.length > maxErrorMessageLength) message = `${message.slice(0, maxErrorMessageLength)}…`;
    throw new ToolError('TOOL_FAILED', message, toolName === undefined ? {} : { toolName });
  }
  if (result.structuredContent !== undefined && result.structuredContent !== null) return result.structuredContent;
  if (content.length === 0) return null;
  if (content.every((block) => block.type === 'text')) {
    const values = content.map((block) => parseText(block.type === 'text' ? block.text : ''));
    return values.length === 1 ? values[0] : values;
  }
  return content.map(withoutMeta);
}
