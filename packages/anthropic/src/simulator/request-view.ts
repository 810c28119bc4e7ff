import type { MessageParam } from '@anthropic-ai/sdk/resources/messages';
import type { SandboxLanguage } from '@codecall/core';
import type {
  PolicyCodeExecution,
  PolicyCodeExecutionResult,
  PolicyCodeTool,
  PolicyMode,
  PolicyRequest,
  PolicyTool,
  PolicyToolResult,
} from './policy.js';
import { countTokens } from './token-accounting.js';
import type { PromptSegment } from './token-accounting.js';

/** A JSON object of the request. */
export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function blocksOf(content: unknown): JsonRecord[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter(isRecord) : [];
}

/** Text of a `tool_result` content (string or text blocks). */
export function resultText(content: unknown): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return blocksOf(content)
    .map((block) => (block.type === 'text' && typeof block.text === 'string' ? block.text : JSON.stringify(block)))
    .join('\n');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const languageWords: readonly [RegExp, SandboxLanguage][] = [
  [/\bpython\b/i, 'python'],
  [/\btypescript\b/i, 'typescript'],
  [/\bjavascript\b/i, 'javascript'],
];

function announcedLanguage(description: string): SandboxLanguage {
  const firstLine = description.split('\n', 1)[0] ?? '';
  let best: { index: number; language: SandboxLanguage } | undefined;
  for (const [pattern, language] of languageWords) {
    const match = pattern.exec(firstLine);
    if (match !== null && (best === undefined || match.index < best.index)) best = { index: match.index, language };
  }
  return best?.language ?? 'javascript';
}

function isCodeToolSchema(schema: unknown): boolean {
  if (!isRecord(schema) || !isRecord(schema.properties)) return false;
  const keys = Object.keys(schema.properties);
  const code = schema.properties.code;
  return keys.length === 1 && keys[0] === 'code' && isRecord(code) && code.type === 'string';
}

/** Tools of the request, the code tool and hosted code execution. */
export interface ToolView {
  readonly tools: readonly PolicyTool[];
  readonly codeTool: PolicyCodeTool | undefined;
  readonly codeExecution: PolicyCodeExecution | undefined;
}

export function viewTools(body: JsonRecord, options: { codeToolName: string | undefined; nativeLanguage: SandboxLanguage }): ToolView {
  const raw = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
  const tools: PolicyTool[] = raw.map((tool) => ({
    name: typeof tool.name === 'string' ? tool.name : '',
    type: typeof tool.type === 'string' && tool.type !== 'custom' ? tool.type : 'custom',
    description: typeof tool.description === 'string' ? tool.description : '',
    inputSchema: isRecord(tool.input_schema) ? tool.input_schema : undefined,
    allowedCallers: Array.isArray(tool.allowed_callers) ? tool.allowed_callers.filter((caller): caller is string => typeof caller === 'string') : ['direct'],
  }));
  const codeToolDefinition = tools.find((tool) =>
    tool.type === 'custom' && (options.codeToolName === undefined ? isCodeToolSchema(tool.inputSchema) : tool.name === options.codeToolName),
  );
  const codeTool =
    codeToolDefinition === undefined
      ? undefined
      : { name: codeToolDefinition.name, language: announcedLanguage(codeToolDefinition.description), description: codeToolDefinition.description };
  const execution = tools.find((tool) => tool.type.startsWith('code_execution_'));
  const codeExecution =
    execution === undefined
      ? undefined
      : {
          type: execution.type,
          language: options.nativeLanguage,
          callableTools: tools.filter((tool) => tool.type === 'custom' && tool.allowedCallers.includes(execution.type)).map((tool) => tool.name),
        };
  return { tools, codeTool, codeExecution };
}

function isModelGenerated(block: JsonRecord): boolean {
  if (block.type === 'tool_use') return !isRecord(block.caller) || block.caller.type === 'direct';
  return block.type === 'text' || block.type === 'thinking' || block.type === 'redacted_thinking' || block.type === 'server_tool_use';
}

/** Builds what the policy sees. */
export function viewRequest(body: JsonRecord, messages: readonly MessageParam[], tools: ToolView): PolicyRequest {
  const system =
    typeof body.system === 'string'
      ? body.system
      : blocksOf(body.system)
          .map((block) => (typeof block.text === 'string' ? block.text : ''))
          .join('\n');
  const uses = new Map<string, { name: string; input: unknown; kind: PolicyToolResult['kind'] }>();
  const toolResults: PolicyToolResult[] = [];
  const codeExecutionResults: PolicyCodeExecutionResult[] = [];
  let lastToolResults: PolicyToolResult[] = [];
  let turn = 0;
  for (const message of messages) {
    // A turn is an assistant message with something the model generated: not only nested calls or hosted results.
    if (message.role === 'assistant' && blocksOf(message.content).some(isModelGenerated)) turn++;
    const current: PolicyToolResult[] = [];
    for (const block of blocksOf(message.content)) {
      if (block.type === 'tool_use' && typeof block.id === 'string') {
        const caller = isRecord(block.caller) ? block.caller.type : 'direct';
        const name = typeof block.name === 'string' ? block.name : '';
        const kind = caller !== undefined && caller !== 'direct' ? 'native' : name === tools.codeTool?.name ? 'code_tool' : 'direct';
        uses.set(block.id, { name, input: block.input, kind });
      } else if (block.type === 'tool_result' && typeof block.tool_use_id === 'string') {
        const use = uses.get(block.tool_use_id);
        const content = resultText(block.content);
        const kind = use?.kind ?? 'direct';
        let value: unknown;
        if (kind === 'code_tool') {
          const match = /(?:^|\n)Return value:\n([\s\S]*)$/.exec(content);
          const json = match?.[1]?.split('\n(output past')[0];
          value = json === undefined ? undefined : parseJson(json);
        } else {
          value = parseJson(content);
        }
        const result: PolicyToolResult = { toolUseId: block.tool_use_id, toolName: use?.name ?? '', input: use?.input, kind, content, isError: block.is_error === true, value };
        toolResults.push(result);
        current.push(result);
      } else if ((block.type === 'code_execution_tool_result' || block.type === 'bash_code_execution_tool_result') && typeof block.tool_use_id === 'string') {
        const content = isRecord(block.content) ? block.content : {};
        codeExecutionResults.push({
          toolUseId: block.tool_use_id,
          stdout: typeof content.stdout === 'string' ? content.stdout : '',
          stderr: typeof content.stderr === 'string' ? content.stderr : '',
          returnCode: typeof content.return_code === 'number' ? content.return_code : 1,
        });
      }
    }
    if (message.role === 'user') lastToolResults = current;
  }
  const first = messages.find((message) => message.role === 'user');
  const task = first === undefined ? '' : blocksOf(first.content).filter((block) => block.type === 'text').map((block) => String(block.text)).join('\n');
  const toolChoice = isRecord(body.tool_choice) ? body.tool_choice : {};
  const parallelToolUse = toolChoice.disable_parallel_tool_use !== true;
  const directTools = tools.tools.filter((tool) => tool.type === 'custom' && tool.name !== tools.codeTool?.name && tool.allowedCallers.includes('direct'));
  let mode: PolicyMode;
  if (tools.codeExecution !== undefined) mode = 'native';
  else if (tools.codeTool !== undefined) mode = directTools.length > 0 ? 'hybrid' : 'programmatic';
  else if (tools.tools.length === 0) mode = 'no-tools';
  else mode = parallelToolUse ? 'parallel' : 'sequential';
  return {
    body,
    model: typeof body.model === 'string' ? body.model : '',
    system,
    messages,
    task,
    turn,
    tools: tools.tools,
    codeTool: tools.codeTool,
    codeExecution: tools.codeExecution,
    parallelToolUse,
    mode,
    toolResults,
    lastToolResults,
    codeExecutionResults,
  };
}

function withoutCacheControl(block: JsonRecord): JsonRecord {
  const { cache_control: _cacheControl, ...rest } = block;
  return rest;
}

function ttlOf(block: JsonRecord): number {
  return isRecord(block.cache_control) && block.cache_control.ttl === '1h' ? 60 * 60_000 : 5 * 60_000;
}

/** Text the simulator counts for a block of a request or response. */
export function blockText(block: JsonRecord): string {
  switch (block.type) {
    case 'text':
      return typeof block.text === 'string' ? block.text : '';
    case 'tool_use':
    case 'server_tool_use':
      return `${String(block.name)} ${JSON.stringify(block.input ?? {})}`;
    case 'tool_result':
      return resultText(block.content);
    case 'code_execution_tool_result': {
      const content = isRecord(block.content) ? block.content : {};
      return [content.stdout, content.stderr].filter((part) => typeof part === 'string' && part !== '').join('\n');
    }
    default:
      return JSON.stringify(withoutCacheControl(block));
  }
}

/**
 * Tokens of a whole message beyond its blocks (role markers), as the simulator models them.
 * ASSUMPTION: Anthropic does not publish its per-message framing; 3 is the count OpenAI documents
 * for its chat format (`tokens_per_message = 3`, OpenAI cookbook "How to count tokens with
 * tiktoken"), kept with the o200k tokenizer that stands in for Claude's. Listed in the benchmark's
 * Methods table.
 */
export const messageOverheadTokens = 3;

/** How `promptSegments` counts what the API adds to a request. */
export interface PromptCountOptions {
  /** Tokens of the tool-use system prompt, when tools are offered. */
  readonly toolUseSystemPromptTokens: number;
  /** Tokens a model-generated tool call block costs beyond its name and JSON input. */
  readonly toolUseOverheadTokens: number;
  /** Tokens a `code_execution_*` tool counts for. */
  readonly codeExecutionToolTokens: number;
}

/**
 * Splits a request into prompt segments (tools, system, message blocks) with token counts.
 * Nested calls of hosted code (`tool_use` blocks with a server `caller`) and their results are
 * skipped: they go to the running code, not into the model's context.
 */
export function promptSegments(body: JsonRecord, messages: readonly MessageParam[], options: PromptCountOptions): PromptSegment[] {
  const { toolUseSystemPromptTokens } = options;
  const segments: PromptSegment[] = [];
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
  if (tools.length > 0 && toolUseSystemPromptTokens > 0) {
    segments.push({ key: 'tool-use-system-prompt', tokens: toolUseSystemPromptTokens, breakpoint: false, ttlMs: 0 });
  }
  for (const tool of tools) {
    const clean = withoutCacheControl(tool);
    const server = typeof tool.type === 'string' && tool.type !== 'custom';
    const text = server ? JSON.stringify(clean) : `${String(tool.name)}\n${typeof tool.description === 'string' ? tool.description : ''}\n${JSON.stringify(tool.input_schema ?? {})}`;
    const tokens = server && String(tool.type).startsWith('code_execution_') ? options.codeExecutionToolTokens : countTokens(text);
    segments.push({ key: `tool:${JSON.stringify(clean)}`, tokens, breakpoint: isRecord(tool.cache_control), ttlMs: ttlOf(tool) });
  }
  const system = typeof body.system === 'string' ? [{ type: 'text', text: body.system }] : blocksOf(body.system);
  for (const block of system) {
    segments.push({ key: `system:${JSON.stringify(withoutCacheControl(block))}`, tokens: countTokens(blockText(block)), breakpoint: isRecord(block.cache_control), ttlMs: ttlOf(block) });
  }
  const nested = new Set<string>();
  messages.forEach((message, index) => {
    let first = true;
    for (const block of blocksOf(message.content)) {
      const skipped =
        (block.type === 'tool_use' && isRecord(block.caller) && block.caller.type !== 'direct' && typeof block.id === 'string' && nested.add(block.id) !== undefined) ||
        (block.type === 'tool_result' && typeof block.tool_use_id === 'string' && nested.has(block.tool_use_id));
      if (skipped) {
        // A breakpoint on a skipped block caches the prefix up to it: the last counted segment.
        const previous = segments[segments.length - 1];
        if (isRecord(block.cache_control) && previous !== undefined) segments[segments.length - 1] = { ...previous, breakpoint: true, ttlMs: ttlOf(block) };
        continue;
      }
      const callOverhead = block.type === 'tool_use' || block.type === 'server_tool_use' ? options.toolUseOverheadTokens : 0;
      segments.push({
        key: `${index}:${message.role}:${JSON.stringify(withoutCacheControl(block))}`,
        tokens: countTokens(blockText(block)) + callOverhead + (first ? messageOverheadTokens : 0),
        breakpoint: isRecord(block.cache_control),
        ttlMs: ttlOf(block),
      });
      first = false;
    }
  });
  return segments;
}
