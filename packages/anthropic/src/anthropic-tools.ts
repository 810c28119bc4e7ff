import type { Tool as AnthropicTool } from '@anthropic-ai/sdk/resources/messages';
import type { Toolset, ToolsetEntry } from '@codecall/core';
import { callersOf } from './callers.js';
import type { ToolCallers } from './callers.js';

/** Versions of Anthropic's hosted code execution tool that can call client tools (`allowed_callers`). */
export type CodeExecutionToolType = 'code_execution_20250825' | 'code_execution_20260120';

/**
 * The code execution version `native` mode uses by default: the version the SDK's `caller` types
 * (`ServerToolCaller20260120`) and Anthropic's programmatic tool calling guide name as required.
 */
export const defaultCodeExecutionToolType: CodeExecutionToolType = 'code_execution_20260120';

const apiNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * The name a tool has in the Messages API: its own name when the API accepts it
 * (`^[a-zA-Z0-9_-]{1,64}$`), else its identifier. In `native` mode always the identifier, since
 * hosted code calls it as a Python function of that name.
 */
export function anthropicToolName(entry: ToolsetEntry, target: 'direct' | 'native' = 'direct'): string {
  if (target === 'native') return entry.identifier;
  return apiNamePattern.test(entry.name) ? entry.name : entry.identifier;
}

/** Finds the toolset entry a Messages API tool name refers to (see `anthropicToolName`). */
export function findToolByApiName(tools: Toolset, apiName: string): ToolsetEntry | undefined {
  const byName = tools.get(apiName);
  if (byName !== undefined && apiNamePattern.test(byName.name)) return byName;
  return tools.getByIdentifier(apiName) ?? byName;
}

/** Options of `toAnthropicTools`. */
export interface AnthropicToolsOptions {
  /**
   * What the definitions are for:
   * - `direct` (default): ordinary tool use; only tools the model may call directly are included,
   *   without `allowed_callers`;
   * - `native`: Anthropic's hosted code execution; every tool is included with `allowed_callers`
   *   built from its callers (`direct` → `'direct'`, `code` → the code execution version).
   */
  readonly target?: 'direct' | 'native';
  /** Code execution version named in `allowed_callers` for `native`. Default `defaultCodeExecutionToolType`. */
  readonly codeExecutionType?: CodeExecutionToolType;
  /** Callers per tool name; overrides `withCallers`. Default: each tool's own setting, else both. */
  readonly callers?: Readonly<Record<string, ToolCallers>>;
}

/**
 * Converts a toolset to Anthropic tool definitions. Input schemas are the tools' JSON Schemas as
 * the model should produce them (zod `io: 'input'`, computed by `defineTool`).
 *
 * @example
 * ```ts
 * const definitions = toAnthropicTools(tools);                       // classic tool use
 * const native = toAnthropicTools(tools, { target: 'native' });      // with allowed_callers
 * ```
 */
export function toAnthropicTools(tools: Toolset, options: AnthropicToolsOptions = {}): AnthropicTool[] {
  const target = options.target ?? 'direct';
  const codeExecutionType = options.codeExecutionType ?? defaultCodeExecutionToolType;
  const definitions: AnthropicTool[] = [];
  for (const entry of tools.entries) {
    const callers = callersOf(entry.tool, options.callers);
    if (target === 'direct' && !callers.includes('direct')) continue;
    const definition: AnthropicTool = {
      name: anthropicToolName(entry, target),
      input_schema: { ...entry.tool.inputSchema, type: 'object' },
    };
    if (entry.tool.description !== '') definition.description = entry.tool.description;
    if (target === 'native') {
      definition.allowed_callers = callers.map((caller) => (caller === 'direct' ? 'direct' : codeExecutionType));
    }
    definitions.push(definition);
  }
  return definitions;
}
