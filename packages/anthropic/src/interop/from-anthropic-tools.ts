import type { BetaRunnableTool, BetaToolRunContext } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError as AnthropicToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { jsonSchemaTool, ToolError } from '@codecall/core';
import type { JsonSchemaObject, Tool, ToolParseResult } from '@codecall/core';

/** Options of `fromAnthropicTools`. */
export interface FromAnthropicToolsOptions {
  /**
   * What an `input_schema` that is not valid JSON Schema does: `'throw'` (default) throws naming the
   * tool and keyword; `'fail-calls'` keeps the tool and fails its calls (see `jsonSchemaTool`).
   */
  readonly invalidSchema?: 'throw' | 'fail-calls';
}

const maxParseMessageLength = 500;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The SDK's `input_schema` as plain JSON Schema: `mcpTool` writes absent `properties`/`required` as `null`. */
function inputSchemaOf(tool: BetaRunnableTool, where: string): JsonSchemaObject {
  const schema: unknown = (tool as { input_schema?: unknown }).input_schema;
  if (!isRecord(schema)) {
    const type = (tool as { type?: unknown }).type;
    throw new TypeError(
      `${where} has no input_schema${typeof type === 'string' ? ` (an Anthropic-defined tool of type ${JSON.stringify(type)})` : ''}; codecall needs a JSON Schema to declare a tool to code. Use betaZodTool, betaTool or mcpTool tools.`,
    );
  }
  const copy: JsonSchemaObject = { ...schema };
  if (copy.properties === null) delete copy.properties;
  if (copy.required === null) delete copy.required;
  return copy;
}

/** Text of tool-result content: text blocks joined by a newline; other blocks as JSON. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return String(content);
  return content.map((block: unknown) => (isRecord(block) && block.type === 'text' && typeof block.text === 'string' ? block.text : JSON.stringify(block))).join('\n');
}

/**
 * A runnable tool's result as the value guest code receives: text (a string, or only text blocks,
 * joined by a newline) is parsed as JSON when it is JSON, else kept as a string; content with other
 * blocks (images, documents) is returned as the array of blocks.
 */
export function anthropicToolResultValue(content: unknown): unknown {
  if (Array.isArray(content) && !content.every((block: unknown) => isRecord(block) && block.type === 'text')) return content;
  const text = contentText(content);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Turns one `@anthropic-ai/sdk` runnable tool (`betaZodTool`, `betaTool`, `mcpTool`, or any
 * object with `name`, `input_schema`, `run` and `parse`) into a codecall tool. Input is validated
 * against `input_schema` (Ajv, as `jsonSchemaTool`) and then by the tool's own `parse` (zod for
 * `betaZodTool`); `run` gets a `BetaToolRunContext` whose `toolUse.id` is the call id and whose
 * `signal` is the call's abort signal. A thrown SDK `ToolError` becomes a `ToolError` with code
 * `TOOL_FAILED` and its content's text.
 *
 * @example
 * ```ts
 * import { betaZodTool } from '@anthropic-ai/sdk/helpers/beta/zod';
 * const weather = betaZodTool({ name: 'get_weather', description: 'Weather of a city.', inputSchema: z.object({ city: z.string() }), run: async ({ city }) => JSON.stringify(await forecast(city)) });
 * const tools = createToolset(fromAnthropicTools([weather]));
 * ```
 */
export function fromAnthropicTool(tool: BetaRunnableTool, options: FromAnthropicToolsOptions = {}): Tool<unknown, unknown> {
  if (!isRecord(tool) || typeof tool.name !== 'string' || typeof tool.run !== 'function') {
    throw new TypeError(`fromAnthropicTool expects a runnable tool of @anthropic-ai/sdk (an object with name, input_schema and run), got ${typeof tool}.`);
  }
  const where = `fromAnthropicTool(${tool.name})`;
  const inputSchema = inputSchemaOf(tool, where);
  const parse = typeof tool.parse === 'function' ? tool.parse.bind(tool) : (value: unknown) => value;
  const base = jsonSchemaTool({
    name: tool.name,
    description: typeof tool.description === 'string' ? tool.description : '',
    inputSchema,
    ...(options.invalidSchema === undefined ? {} : { invalidSchema: options.invalidSchema }),
    execute: async (input, context) => {
      const toolUse = { type: 'tool_use' as const, id: context.toolCallId, name: tool.name, input };
      const runContext: BetaToolRunContext = { toolUse, toolUseBlock: toolUse, signal: context.abortSignal };
      let content: unknown;
      try {
        content = await tool.run(input, runContext);
      } catch (error) {
        if (error instanceof AnthropicToolError) throw new ToolError('TOOL_FAILED', contentText(error.content), { cause: error });
        throw error;
      }
      return anthropicToolResultValue(content);
    },
  });
  const parseInput = (value: unknown): ToolParseResult<unknown> => {
    const checked = base.parseInput(value);
    if (!checked.success) return checked;
    try {
      return { success: true, data: parse(checked.data) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { success: false, message: message.length > maxParseMessageLength ? `${message.slice(0, maxParseMessageLength)}…` : message };
    }
  };
  return Object.freeze({ ...base, parseInput });
}

/**
 * Turns `@anthropic-ai/sdk` runnable tools (`betaZodTool`, `betaTool`, `mcpTool`/`mcpTools`) into
 * codecall tools for `createToolset`. See `fromAnthropicTool`.
 *
 * @example
 * ```ts
 * import { mcpTools } from '@anthropic-ai/sdk/helpers/beta/mcp';
 * const { tools: listed } = await mcpClient.listTools();
 * const tools = createToolset(fromAnthropicTools(mcpTools(listed, mcpClient)));
 * ```
 */
export function fromAnthropicTools(tools: readonly BetaRunnableTool[], options: FromAnthropicToolsOptions = {}): Tool<unknown, unknown>[] {
  if (!Array.isArray(tools)) throw new TypeError('fromAnthropicTools expects an array of runnable tools.');
  return tools.map((tool: BetaRunnableTool) => fromAnthropicTool(tool, options));
}
