import { assignIdentifiers } from './identifiers.js';
import { isTool, jsonSchemaTool } from './tool.js';
import type { AnyTool, JsonSchemaToolDefinition } from './tool.js';
import type { SandboxToolV1 } from './spec/sandbox-tool-v1.js';
import { toolParameters } from './tool-parameters.js';

const toolsetMarker = Symbol.for('codecall.Toolset');

/** A tool of a toolset, with the identifier guest code calls it by. */
export interface ToolsetEntry {
  /** The tool. */
  readonly tool: AnyTool;
  /** The tool's name (same as `tool.name`). */
  readonly name: string;
  /** The function name in guest code; equals `name` when that is a safe identifier. */
  readonly identifier: string;
}

/** An ordered set of tools with unique names, ready to hand to `runCode` and `generateDeclarations`. */
export interface Toolset {
  /** The tools, in the order given. */
  readonly entries: readonly ToolsetEntry[];
  /** Looks a tool up by name. */
  get(name: string): ToolsetEntry | undefined;
  /** Looks a tool up by the identifier guest code uses. */
  getByIdentifier(identifier: string): ToolsetEntry | undefined;
  /** The tools as a sandbox adapter receives them. */
  readonly sandboxTools: readonly SandboxToolV1[];
}

/**
 * Creates a toolset from tools made with `defineTool`/`jsonSchemaTool` or plain JSON Schema
 * definitions. Names must be unique. Names that are not safe identifiers in JavaScript and Python
 * (`github.list-issues`, `requests.get`, `print`) get a deterministic, collision-free identifier
 * (see `assignIdentifiers`), which the declarations show next to the original name.
 *
 * @example
 * ```ts
 * const tools = createToolset([getExpenses, getTeamMembers]);
 * tools.get('get_expenses')?.identifier; // 'get_expenses'
 * ```
 */
export function createToolset(tools: readonly (AnyTool | JsonSchemaToolDefinition)[]): Toolset {
  if (!Array.isArray(tools)) {
    throw new TypeError(
      `createToolset expects an array of tools, got ${tools === null ? 'null' : typeof tools}${typeof tools === 'object' && tools !== null ? ' (for an AI SDK tool set, an object of tools, use fromAiSdkTools from @codecall/ai-sdk)' : ''}.`,
    );
  }
  const normalized = tools.map((tool: AnyTool | JsonSchemaToolDefinition) => (isTool(tool) ? tool : jsonSchemaTool({ invalidSchema: 'fail-calls', ...tool })));
  const seen = new Set<string>();
  for (const tool of normalized) {
    if (seen.has(tool.name)) throw new TypeError(`Duplicate tool name "${tool.name}": names in a toolset must be unique.`);
    seen.add(tool.name);
  }
  const identifiers = assignIdentifiers(normalized.map((tool) => tool.name));
  const entries = normalized.map((tool) =>
    Object.freeze({ tool, name: tool.name, identifier: identifiers.get(tool.name) ?? tool.name }),
  );
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const byIdentifier = new Map(entries.map((entry) => [entry.identifier, entry]));
  return Object.freeze({
    [toolsetMarker]: true,
    entries: Object.freeze(entries),
    get: (name: string) => byName.get(name),
    getByIdentifier: (identifier: string) => byIdentifier.get(identifier),
    sandboxTools: Object.freeze(
      entries.map(({ tool, name, identifier }) => {
        const parameters = toolParameters(tool.inputSchema);
        return Object.freeze(parameters === undefined ? { name, identifier } : { name, identifier, parameters });
      }),
    ),
  });
}

/** Whether `value` is a `Toolset` made by `createToolset` (from any copy of this package). */
export function isToolset(value: unknown): value is Toolset {
  return typeof value === 'object' && value !== null && toolsetMarker in value;
}

/** Accepts a toolset or an array of tools, as the public functions do. */
export function toToolset(tools: Toolset | readonly (AnyTool | JsonSchemaToolDefinition)[] | undefined): Toolset {
  if (tools === undefined) return createToolset([]);
  return isToolset(tools) ? tools : createToolset(tools);
}
